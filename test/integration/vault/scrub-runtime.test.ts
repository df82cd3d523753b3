import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ToolRouter } from '../../../src/harness/tools';
import { reply } from '../../../src/model/scripted';
import type { Sandbox } from '../../../src/sandbox/types';
import { MemoryVault } from '../../../src/vault/memory';
import { Scrubber } from '../../../src/vault/scrubber';
import type { SessionEvent } from '../../../src/wire';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';

// The runtime's scrubber on real sessions: a secret the vault knows never becomes part of an event, even when a
// tool prints it (here the repository itself contains a copy of the credential, as leaked .env files do).

const SECRET = 'sk-live-canary-4f9b2c7d1e3a5b6c';

describe('runtime scrubber: tool results carry no vault secret', function () {
  this.timeout(60_000);
  let t: TestRuntime;
  after(async () => t?.close());

  it('redacts a credential a tool prints, in every form, in the event and on disk', async () => {
    const vault = new MemoryVault();
    t = await makeTestRuntime({
      repoFiles: { '.env': `TOKEN=${SECRET}\n`, 'README.md': '# x\n' },
      script: [reply.tool('bash', { command: 'cat .env; printf %s "$(cat .env)" | base64; node -e "console.log(encodeURIComponent(require(\'fs\').readFileSync(\'.env\',\'utf8\')))"' }), reply.text('done')],
      runtime: { vault },
    });
    const v = await t.runtime.vaults.create({ display_name: 'v' });
    const cred = await t.runtime.vaults.createCredential(v.id, { auth: { type: 'environment_variable', secret_name: 'TOKEN', secret_value: SECRET, networking: { type: 'unrestricted' } } });
    const id = await t.start('print the env file');
    const events = await t.waitFor(id, (e: readonly SessionEvent[]) => e.some((x) => x.type === 'session.status_idle'));
    const result = events.find((e) => e.type === 'agent.tool_result');
    assert.ok(result?.type === 'agent.tool_result');
    const text = JSON.stringify(result.content);
    assert.match(text, new RegExp(`TOKEN=\\[REDACTED:${cred.id}\\]`));
    assert.equal(text.split(`[REDACTED:${cred.id}]`).length - 1, 3, text);
    const onDisk = readFileSync(path.join(t.storage, 'sessions', id, 'events.jsonl'), 'utf8');
    assert.ok(!onDisk.includes(SECRET));
    assert.ok(!onDisk.includes(Buffer.from(`TOKEN=${SECRET}`).toString('base64').slice(8, 30)));
  });

  it('redacts session.error messages of MCP servers, even before any tool ran', async () => {
    await t?.close();
    t = await makeTestRuntime({ script: [reply.text('hi')], runtime: { vault: new MemoryVault({ leaked: SECRET }) } });
    const id = await t.start('hi', { mcp_servers: [{ type: 'url', name: 'down', url: `http://127.0.0.1:9/mcp/${SECRET}` }], tools: [{ type: 'agent_toolset_20260401' }, { type: 'mcp_toolset', mcp_server_name: 'down' }] });
    const events = await t.waitFor(id, (e: readonly SessionEvent[]) => e.some((x) => x.type === 'session.error' && x.error.retry_status.type === 'exhausted'), 30_000);
    const errors = events.flatMap((e) => (e.type === 'session.error' ? [e.error.message] : []));
    assert.ok(errors.length > 0);
    for (const m of errors) {
      assert.ok(!m.includes(SECRET), m);
      assert.match(m, /\[REDACTED:leaked\]/);
    }
  });

  it('redacts the message of a tool that throws', async () => {
    const scrubber = new Scrubber(new MemoryVault({ k: SECRET }));
    await scrubber.refresh();
    const sandbox = { execute: async () => Promise.reject(new Error(`connect failed for https://user:${SECRET}@host/`)) } as unknown as Sandbox;
    const agent = await t.runtime.agents.retrieve(await t.agent());
    const router = new ToolRouter(agent, async () => sandbox, null, (o) => scrubber.outcome(o));
    const out = await router.execute({ id: 'x', kind: 'builtin', name: 'bash', input: { command: 'x' }, permission: 'allow', spanId: null, seq: 0 }, new AbortController().signal);
    assert.equal(out.is_error, true);
    assert.equal(JSON.stringify(out.content), JSON.stringify([{ type: 'text', text: 'bash failed: connect failed for https://user:[REDACTED:k]@host/' }]));
  });
});
