import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { reply } from '../../../src/model/scripted';
import type { McpServer, SessionEvent } from '../../../src/wire';
import { makeMcpRuntime, toolNames, type McpTestRuntime } from '../../support/mcp-runtime';
import { EVERYTHING_BIN } from '../../support/mcp-servers';

// Connections happen in the background: creating a session never waits for a server, a model request waits for one
// connection attempt at most, failures are logged when they happen, and closing the runtime ends stdio servers with
// every process they started, even while they are still starting.

/** Ids of the processes whose command line holds `marker`. */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(marker)) pids.push(Number(name));
    } catch {
      // The process ended meanwhile.
    }
  }
  return pids;
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 50));
}

/** A stdio server that reads its stdin but never answers `initialize`; it starts a child that ignores stdin too. */
function silentServer(name: string, marker: string): McpServer {
  const script = `require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '${marker}'], { stdio: 'ignore' });
process.stdin.resume();
setInterval(() => {}, 1000);`;
  return { type: 'stdio', name, command: process.execPath, args: ['-e', script, marker], env: {} };
}

describe('mcp: connections in the background', function () {
  this.timeout(90_000);
  let t: McpTestRuntime | undefined;
  const markers: string[] = [];
  const newMarker = () => {
    const m = `hangar-mcp-test-${randomBytes(6).toString('hex')}`;
    markers.push(m);
    return m;
  };
  afterEach(async () => {
    await t?.close();
    t = undefined;
    // Never leave a test's processes behind, whatever the test found.
    for (const pid of markers.splice(0).flatMap(processesWith)) process.kill(pid, 'SIGKILL');
  });

  it('creating a session does not wait for a server that never answers; the turn goes on and the failures are logged as they happen', async () => {
    t = await makeMcpRuntime([reply.text('fine')], { connectTimeoutMs: 3000, connectAttempts: 2, retryBaseMs: 20 });
    const id = await t.startWith('hi', [silentServer('silent', newMarker())]);
    assert.equal(t.managers[0]!.status()[0]!.state, 'connecting', 'create and send returned while the server was still connecting');
    const events = await t.waitIdleAndGaveUp(id);
    const types = events.map((e) => e.type);
    const errors = events.filter((e): e is Extract<SessionEvent, { type: 'session.error' }> => e.type === 'session.error');
    assert.deepEqual(errors.map((e) => [e.error.type, e.error.retry_status.type, e.error.mcp_server_name]), [
      ['mcp_connection_failed_error', 'retrying', 'silent'],
      ['mcp_connection_failed_error', 'exhausted', 'silent'],
    ]);
    assert.match(errors[0]!.error.message, /no answer within 3000 ms/);
    // The model request waited for the first attempt, then went without the server's tools; the retry was logged later.
    const start = types.indexOf('span.model_request_start');
    assert.ok(events.indexOf(errors[0]!) < start && start < events.indexOf(errors[1]!), types.join(', '));
    assert.deepEqual(toolNames(t, 0).filter((n) => n.startsWith('silent__')), []);
    assert.equal(events.filter((e) => e.type === 'agent.message').length, 1, 'the session went on');
  });

  it('closing the runtime while a stdio server is still starting stops it and the processes it started', async () => {
    const marker = newMarker();
    t = await makeMcpRuntime([reply.text('fine')], { connectTimeoutMs: 60_000 });
    await t.startWith('hi', [silentServer('starting', marker)]);
    await until(() => processesWith(marker).length === 2);
    assert.equal(t.managers[0]!.status()[0]!.state, 'connecting');
    await t.close();
    t = undefined;
    assert.deepEqual(processesWith(marker), [], 'no server process and no child of it is left');
  });

  it('a process that exits without closing (process.exit in a signal handler) takes its stdio servers along', async () => {
    const marker = newMarker();
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(import.meta.dirname, '../../fixtures/mcp/exit-without-close.ts'), marker], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise((resolve) => child.stdout.once('data', resolve));
    await until(() => processesWith(marker).length === 2);
    child.stdin.write('exit\n');
    await exited;
    await until(() => processesWith(marker).length === 0);
  });

  it('closing the runtime stops a connected stdio server together with its children', async () => {
    const marker = newMarker();
    t = await makeMcpRuntime([reply.text('fine')]);
    // server-everything through a shell that also starts a child of its own: the shell is not the MCP server.
    const command = `${process.execPath} -e 'setInterval(() => {}, 1000)' ${marker} </dev/null >/dev/null 2>&1 & exec ${process.execPath} ${EVERYTHING_BIN} stdio`;
    const id = await t.startWith('hi', [{ type: 'stdio', name: 'wrapped', command: '/bin/sh', args: ['-c', command, marker], env: {} }]);
    await t.waitIdle(id);
    assert.equal(t.managers[0]!.status()[0]!.state, 'connected');
    assert.equal(processesWith(marker).length, 1, 'the extra child runs');
    await t.close();
    t = undefined;
    assert.deepEqual(processesWith(marker), []);
  });
});
