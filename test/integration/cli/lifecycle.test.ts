import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { acquireLease } from '../../../src/log/lease';
import { SessionLog } from '../../../src/log/session-log';
import { reply } from '../../../src/model/scripted';
import type { SessionEvent } from '../../../src/wire';
import { openCliRuntime } from '../../../src/cli/env';
import { EVERYTHING_BIN } from '../../support/mcp-servers';
import { useCli } from './harness';

// Sessions around the turn: MCP servers that fail before it, signals and crashes during it, resume after it.

describe('cli: sessions through failing MCP servers, signals, crashes and resume', function () {
  this.timeout(60_000);
  const t = useCli();

  /** An agent file whose only MCP server is the stdio command given (with the toolset that starts it). */
  const mcpAgent = (name: string, command: string, args: string[] = [], env: Record<string, string> = {}): string => {
    const file = path.join(t.home, `${name}-agent.json`);
    const mcp = { type: 'stdio', name, command, args, env };
    writeFileSync(file, JSON.stringify({ name, model: 'claude-sonnet-5-5', mcp_servers: [mcp], tools: [{ type: 'agent_toolset_20260401' }, { type: 'mcp_toolset', mcp_server_name: name }] }));
    return file;
  };

  // A stdio server that starts and answers every request, initialize first, with a JSON-RPC error.
  const REFUSER = `process.stdin.on('data', (d) => { for (const l of String(d).split('\\n')) { if (!l.trim()) continue; const m = JSON.parse(l); if (m.id !== undefined) process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: m.id, error: { code: -32603, message: 'this server refuses to start' } }) + '\\n'); } });`;

  for (const [what, server, why] of [
    ['cannot start', () => mcpAgent('missing', '/nonexistent/mcp-server'), /MCP server "missing": could not start \/nonexistent\/mcp-server: .*ENOENT/],
    ['fails initialize', () => mcpAgent('refuser', process.execPath, ['-e', REFUSER]), /MCP server "refuser": .*started but did not complete the MCP handshake: .*this server refuses to start/],
  ] as const) {
    it(`run shows that a stdio MCP server ${what}, as text and as JSON`, async () => {
      const agentFile = server();
      t.model.push(reply.text('went on without it'), reply.text('went on without it'));
      const text = await t.hangar(['run', '--agent', agentFile, '--repo', t.repo, 'hi']);
      assert.equal(text.code, 0, text.stderr);
      const line = text.stdout.split('\n').find((l) => l.includes('mcp_connection_failed_error'));
      assert.ok(line, text.stdout);
      assert.match(line, why);
      assert.match(text.stdout, /went on without it/, 'the session goes on without the server');

      const json = await t.hangar(['--json', 'run', '--agent', agentFile, '--repo', t.repo, 'hi']);
      assert.equal(json.code, 0, json.stderr);
      const events = json.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; error?: { type: string; message: string } });
      const error = events.find((e) => e.type === 'session.error');
      assert.equal(error?.error?.type, 'mcp_connection_failed_error', json.stdout);
      assert.match(error.error.message, why);
      assert.equal(events.at(-1)?.type, 'hangar.summary');
    });
  }

  it('resume returns on a session that never started and on a terminated one', async () => {
    // Created as the API or the extension would, without a first message; the second one then archived.
    const rt = await openCliRuntime({ storage: t.home, provider: 'local' });
    const [notStarted, terminated] = await (async () => {
      try {
        const agent = await rt.agents.create({ name: 'idle', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401' }] });
        const env = await rt.environments.ensureDefault();
        const create = () => rt.sessions.create({ agent: agent.id, environment_id: env.id, resources: [{ type: 'local_repository', path: t.repo }] });
        const a = await create();
        const b = await create();
        await rt.sessions.archive(b.id);
        return [a.id, b.id];
      } finally {
        await rt.close();
      }
    })();
    const fresh = await t.hangar(['resume', notStarted]);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(fresh.stdout, /has not started[\s\S]* send /);
    const freshJson = await t.hangar(['--json', 'resume', notStarted]);
    assert.equal(freshJson.code, 0, freshJson.stderr);
    assert.equal((JSON.parse(freshJson.stdout) as { type: string }).type, 'hangar.resume');
    const ended = await t.hangar(['resume', terminated]);
    assert.equal(ended.code, 3, ended.stderr);
    assert.match(ended.stdout, /is terminated; it cannot continue/);
    assert.equal(t.model.requests.length, 0, 'resume asked the model nothing');
  });

  it('resume answers a message logged just before the process died, before its turn began', async () => {
    const rt = await openCliRuntime({ storage: t.home, provider: 'local' });
    const id = await (async () => {
      try {
        const agent = await rt.agents.create({ name: 'cut', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401' }] });
        const env = await rt.environments.ensureDefault();
        return (await rt.sessions.create({ agent: agent.id, environment_id: env.id, resources: [{ type: 'local_repository', path: t.repo }] })).id;
      } finally {
        await rt.close();
      }
    })();
    // What `hangar run` killed between logging the task and the first model request leaves (status still idle).
    const dir = path.join(t.home, 'sessions', id);
    const lease = await acquireLease(dir, 'killed run');
    const log = await SessionLog.open<SessionEvent>(dir, { mode: 'writer', lease });
    await log.append([{ id: '', type: 'user.message', processed_at: new Date().toISOString(), content: [{ type: 'text', text: 'the task before the kill' }] }], { durable: true });
    await log.close();
    await lease.release();
    t.model.push(reply.text('Answered after the kill.'));
    const resumed = await t.hangar(['resume', id]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /Answered after the kill\./);
    assert.match(JSON.stringify(t.model.requests[0]?.body.messages), /the task before the kill/);
  });

  /** Pids of live processes whose environment holds `marker` (the stdio MCP servers this test started). */
  const withMarker = (marker: string): number[] =>
    readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return readFileSync(`/proc/${d}/environ`, 'latin1').includes(marker);
        } catch {
          return false;
        }
      })
      .map(Number);

  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`closes its stdio MCP servers and exits ${code} on ${signal}`, async () => {
      const marker = `HANGAR_CLI_TEST_${signal}_${process.pid}_${Date.now()}`;
      const agentFile = path.join(t.home, 'mcp-agent.json');
      const mcp = { type: 'stdio', name: 'everything', command: process.execPath, args: [EVERYTHING_BIN, 'stdio'], env: { [marker]: '1' } };
      writeFileSync(agentFile, JSON.stringify({ name: 'mcp', model: 'claude-sonnet-5-5', mcp_servers: [mcp], tools: [{ type: 'agent_toolset_20260401' }, { type: 'mcp_toolset', mcp_server_name: 'everything' }] }));
      t.model.push(reply.text('slow', { delay_ms: 60_000 }));
      const child = spawn(process.execPath, [t.cli, 'run', '--agent', agentFile, '--repo', t.repo, 'wait'], {
        env: t.env(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      while (t.model.requests.length === 0) await new Promise((r) => setTimeout(r, 50));
      assert.ok(withMarker(marker).length > 0, 'the MCP server runs while the model is asked');
      child.kill(signal);
      assert.equal(await exited, code, stderr);
      assert.deepEqual(withMarker(marker), [], 'no MCP server outlives the CLI');
    });
  }

  it('prints the events of a session that crashed while running, and returns', async () => {
    t.model.push(reply.text('slow', { delay_ms: 60_000 }));
    const child = spawn(process.execPath, [t.cli, '--json', 'run', '--repo', t.repo, 'crash me'], {
      env: t.env(),
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    while (t.model.requests.length === 0) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    const list = await t.hangar(['--json', 'sessions']);
    const id = (JSON.parse(list.stdout.trim().split('\n')[0]!) as { id: string }).id;
    const events = await t.hangar(['--json', 'events', id]);
    assert.equal(events.code, 0, events.stderr);
    assert.equal((JSON.parse(events.stdout.trim().split('\n').at(-1)!) as { type: string }).type, 'span.model_request_start');
  });

});
