import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { cliBundle } from '../../../bundles.mjs';
import { reply } from '../../../src/model/scripted';
import { createAnthropicModel } from '../../../src/model/anthropic';
import { Runtime } from '../../../src/runtime';
import { LocalSandboxProvider } from '../../../src/sandbox/local';
import { MemoryVault } from '../../../src/vault/memory';
import type { SessionEvent } from '../../../src/wire';
import { VERSION } from '../../../src/cli/version';
import { useCli } from './harness';

// What start-up work the CLI skips must not change what it prints: --version, and events of a session, from the
// shipped layout (dist/cli.mjs and the chunks it loads on demand) as from the single-file bundle the other CLI tests run.

const packageVersion = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

describe('cli: start-up and printing events', function () {
  this.timeout(60_000);
  const t = useCli();
  let split = '';

  before(async () => {
    const out = path.resolve('.cache', 'test-cli-split');
    await build({ ...cliBundle(out), logLevel: 'error' });
    split = path.join(out, 'cli.mjs');
  });

  const runSplit = (args: string[]) => spawnSync(process.execPath, [split, ...args], { env: t.env(), encoding: 'utf8' });

  it("prints package.json's version for --version and -V, from both bundles", async () => {
    assert.equal(VERSION, packageVersion);
    for (const flag of ['--version', '-V']) {
      const r = await t.hangar([flag]);
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, `${packageVersion}\n`, '']);
      const s = runSplit([flag]);
      assert.deepEqual([s.status, s.stdout, s.stderr], [0, `${packageVersion}\n`, '']);
    }
    const help = await t.hangar(['--help']);
    assert.match(help.stdout, /-V, --version +print the version/);
  });

  it("prints a session's events exactly as the runtime lists them, from both bundles", async () => {
    t.model.push(reply.tool('bash', { command: 'echo one' }), reply.text('done'));
    const r = await t.hangar(['--json', 'run', '--repo', t.repo, 'print events']);
    assert.equal(r.code, 0, r.stderr);
    const id = (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { session_id: string }).session_id;

    const rt = new Runtime({ storageRoot: t.home, vault: new MemoryVault(), sandbox: new LocalSandboxProvider({ storageRoot: t.home }), model: createAnthropicModel({ apiKey: async () => 'k' }), owner: 'test' });
    let listed: SessionEvent[];
    try {
      listed = (await rt.sessions.listEvents(id, { limit: 1000 })).data;
    } finally {
      await rt.close();
    }
    const expected = listed.map((e) => `${JSON.stringify(e)}\n`).join('');
    assert.ok(listed.some((e) => e.type === 'agent.tool_result'));

    const single = await t.hangar(['--json', 'events', id]);
    assert.deepEqual([single.code, single.stderr], [0, '']);
    assert.equal(single.stdout, expected);
    const s = runSplit(['--json', 'events', id]);
    assert.deepEqual([s.status, s.stderr], [0, '']);
    assert.equal(s.stdout, expected);

    const text = await t.hangar(['events', id]);
    assert.equal(text.code, 0);
    assert.equal(runSplit(['events', id]).stdout, text.stdout);
    assert.match(text.stdout, /echo one/);
  });

  it('says which line of the log is damaged instead of printing it, and leaves out a torn tail, from both bundles', async () => {
    t.model.push(reply.tool('bash', { command: 'echo one' }), reply.text('done'));
    const r = await t.hangar(['--json', 'run', '--repo', t.repo, 'print events']);
    assert.equal(r.code, 0, r.stderr);
    const id = (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { session_id: string }).session_id;
    const log = path.join(t.home, 'sessions', id, 'events.jsonl');
    const stored = readFileSync(log, 'utf8');
    const printed = { json: (await t.hangar(['--json', 'events', id])).stdout, text: (await t.hangar(['events', id])).stdout };

    // Still JSON, and still an event: only its checksum tells it from what was appended.
    const lines = stored.split('\n');
    lines[2] = lines[2]!.replace('"type":"', '"type": "');
    writeFileSync(log, lines.join('\n'));
    const offset = Buffer.byteLength(lines.slice(0, 2).join('\n')) + 1;
    for (const args of [['--json', 'events', id], ['events', id]]) {
      for (const run of [await t.hangar(args), runSplit(args)]) {
        const code = 'code' in run ? run.code : run.status;
        assert.deepEqual([code, run.stdout], [1, ''], args.join(' '));
        assert.equal(run.stderr, `hangar: ${log}: line 3 (byte ${offset}): checksum mismatch, and valid records follow it\n`);
      }
    }

    writeFileSync(log, `${stored}{"s":${lines.length - 1},"c":"0000`);
    for (const run of [await t.hangar(['--json', 'events', id]), runSplit(['--json', 'events', id])]) assert.equal(run.stdout, printed.json);
    for (const run of [await t.hangar(['events', id]), runSplit(['events', id])]) assert.equal(run.stdout, printed.text);
  });

  it('lists sessions from the split bundle as from the single-file one', async () => {
    t.model.push(reply.text('hello'));
    assert.equal((await t.hangar(['run', '--repo', t.repo, 'hi'])).code, 0);
    const single = await t.hangar(['--json', 'sessions']);
    const s = runSplit(['--json', 'sessions']);
    assert.deepEqual([s.status, s.stderr], [0, '']);
    // duration_seconds of an idle session counts up to now, so it differs between two runs.
    const sessions = (out: string) => out.trim().split('\n').map((l) => ({ ...(JSON.parse(l) as Record<string, unknown>), stats: null }));
    assert.deepEqual(sessions(s.stdout), sessions(single.stdout));
    assert.equal(sessions(single.stdout).length, 1);
  });

  // A storage without its sessions folder is answered without the listing; one whose sessions were all deleted by it.
  it('says there are no sessions alike on a new storage and on one whose sessions were deleted, from both bundles', async () => {
    const none = (r: { stdout: string; stderr: string }, code: number | null) => assert.deepEqual([code, r.stderr, r.stdout.replace(/Start one with: .*/, 'Start one with: …')], [0, '', 'No sessions yet. Start one with: …\n']);
    const emptyJson = (r: { stdout: string; stderr: string }, code: number | null) => assert.deepEqual([code, r.stdout, r.stderr], [0, '', '']);
    const check = async () => {
      const single = await t.hangar(['sessions']);
      none(single, single.code);
      const s = runSplit(['sessions']);
      none(s, s.status);
      const singleJson = await t.hangar(['--json', 'sessions']);
      emptyJson(singleJson, singleJson.code);
      const sJson = runSplit(['--json', 'sessions']);
      emptyJson(sJson, sJson.status);
    };
    await check();
    t.model.push(reply.text('hello'));
    const r = await t.hangar(['--json', 'run', '--repo', t.repo, 'hi']);
    const id = (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { session_id: string }).session_id;
    assert.equal((await t.hangar(['delete', id])).code, 0);
    await check();
  });
});
