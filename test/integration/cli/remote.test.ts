import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { reply } from '../../../src/model/scripted';
import { runtimeClient } from '../../../src/remote/connect';
import { startServe, stopServe, type StartedServe } from '../../support/hangar-serve';
import { opensslCert } from '../../support/tls-certs';
import { useCli } from './harness';

// The CLI on a runtime elsewhere (issue #15 §2): `hangar serve --tls-cert/--tls-key` in one process, `hangar
// --runtime https://… --pin …` in others, over real TLS with a self-signed certificate made by openssl; `--runtime
// detached` finds the server through the runtime.json it announces; bad tokens, pins and commands that need local
// storage each get their own sentence.

describe('cli: --runtime, a detached or remote runtime', function () {
  this.timeout(120_000);
  const t = useCli();
  let server: StartedServe | undefined;
  afterEach(async () => {
    await stopServe(server);
    server = undefined;
  });

  async function serve(args: string[]): Promise<{ url: string; fingerprint256: string | null; exited: Promise<unknown>; child: ChildProcess }> {
    const started = await startServe([process.execPath, t.cli, '--json', 'serve', ...args], t.env());
    server = started;
    return { ...started.announced, exited: started.exited, child: started.child };
  }


  it('lists sessions and shows a diff over https with a pinned certificate, and through the announced runtime', async () => {
    t.model.push(reply.tool('edit', { file_path: 'src/app.js', old_string: '"hi"', new_string: '"hello"' }), reply.text('Changed the greeting.'));
    const run = await t.hangar(['run', '--repo', t.repo, 'change the greeting']);
    assert.equal(run.code, 0, run.stderr);
    const id = / apply (sesn_\w+)/.exec(run.stdout)?.[1];
    assert.ok(id, run.stdout);

    const cert = opensslCert(t.home);
    const s = await serve(['--tls-cert', cert.cert, '--tls-key', cert.key]);
    assert.match(s.url, /^https:\/\/localhost:\d+$/);
    assert.equal(s.fingerprint256, cert.fingerprint256);
    const token = readFileSync(path.join(t.home, 'api-token'), 'utf8').trim();
    const remote = { HANGAR_RUNTIME_URL: s.url, HANGAR_RUNTIME_TOKEN: token, HANGAR_RUNTIME_PIN: cert.fingerprint256, HANGAR_HOME: path.join(t.home, 'elsewhere') };

    const listed = await t.hangar(['--json', 'sessions'], remote);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(listed.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id), [id]);
    const diff = await t.hangar(['diff', id], remote);
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, /\+console\.log\("hello"\);/);

    // The announced runtime: url, token and pin from <home>/runtime.json; gone when the server stops.
    const announced = await t.hangar(['--runtime', 'detached', 'diff', id, '--json']);
    assert.equal(announced.code, 0, announced.stderr);
    assert.deepEqual((JSON.parse(announced.stdout) as { files: { path: string }[] }).files.map((f) => f.path), ['src/app.js']);

    // Bad input: a wrong token, another certificate's pin, no trust at all, a command that needs this machine's storage.
    const wrongToken = await t.hangar(['sessions'], { ...remote, HANGAR_RUNTIME_TOKEN: 'hgr_wrong' });
    assert.equal(wrongToken.code, 1);
    assert.match(wrongToken.stderr, /refused the token \(401\)/);
    const other = opensslCert(t.home, 'other');
    const wrongPin = await t.hangar(['sessions'], { ...remote, HANGAR_RUNTIME_PIN: other.fingerprint256 });
    assert.equal(wrongPin.code, 1);
    assert.match(wrongPin.stderr, /not the pinned/);
    const untrusted = await t.hangar(['sessions'], { ...remote, HANGAR_RUNTIME_PIN: undefined });
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stderr, /does not trust .*--ca .*--pin/);
    const trustedCa = await t.hangar(['sessions', '--limit', '5'], { ...remote, HANGAR_RUNTIME_PIN: undefined, HANGAR_RUNTIME_CA: cert.cert });
    assert.equal(trustedCa.code, 0, trustedCa.stderr);
    assert.match(trustedCa.stdout, new RegExp(id));
    const refused = await t.hangar(['apply', id], remote);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /hangar apply runs on this machine's storage and cannot use --runtime/);

    server!.child.kill('SIGTERM');
    assert.equal(await s.exited, 0);
    server = undefined;
    assert.equal(existsSync(path.join(t.home, 'runtime.json')), false, 'the announcement is withdrawn');
    const none = await t.hangar(['--runtime', 'detached', 'sessions']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /No detached runtime runs on/);
  });

  it('events --follow says the runtime is gone, reconnects when it is back, and prints every event once', async () => {
    const port = await freePort();
    // The first bash call is cut by the crash; the restarted runtime answers it as interrupted and the model ends the turn.
    t.model.push(reply.tool('bash', { command: 'sleep 30' }), reply.text('finished after the restart'));
    const first = await serve(['--port', String(port)]);
    const token = readFileSync(path.join(t.home, 'api-token'), 'utf8').trim();
    const client = runtimeClient({ url: first.url, token });
    const agent = await client.beta.agents.create({ name: 'steady', model: 'claude-sonnet-4-5', tools: [{ type: 'agent_toolset_20260401' }] });
    const environment = await client.beta.environments.create({ name: 'steady-env' });
    const session = await client.beta.sessions.create({ agent: agent.id, environment_id: environment.id, resources: [{ type: 'local_repository', path: t.repo }] } as never);

    const follower = spawn(process.execPath, [t.cli, '--runtime', 'detached', '--json', 'events', session.id, '--follow'], { env: t.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    follower.stdout.on('data', (c: Buffer) => (out += c.toString()));
    follower.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const until = async (cond: () => boolean, what: string) => {
      for (const deadline = Date.now() + 60_000; !cond(); await new Promise((r) => setTimeout(r, 100))) if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stdout:\n${out}\nstderr:\n${err}`);
    };
    try {
      await client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'take your time' }] }] });
      await until(() => out.includes('"agent.tool_use"'), 'the tool call');
      first.child.kill('SIGKILL');
      await first.exited;
      await until(() => /lost the runtime: .*Reconnecting/.test(err), 'the follower to notice');
      server = undefined;
      await serve(['--port', String(port)]);
      await until(() => out.includes('finished after the restart') && out.includes('"session.status_idle"'), 'the turn to end on the restarted runtime');
      assert.match(err, /reconnected to http:\/\/127\.0\.0\.1:/);
      const events = out.trim().split('\n').map((l) => JSON.parse(l) as { id: string; type: string; is_error?: boolean });
      assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'each event once');
      const types = events.map((e) => e.type);
      for (const type of ['user.message', 'agent.tool_use', 'agent.tool_result', 'agent.message', 'session.status_idle']) assert.ok(types.includes(type), `${type} in ${types.join(', ')}`);
      assert.equal(events.find((e) => e.type === 'agent.tool_result')?.is_error, true, 'the cut call is answered as not completed, not run again');
      const logged = (await runtimeClient({ url: first.url, token }).beta.sessions.events.list(session.id, { limit: 1000 })).data.map((e) => e.id);
      assert.deepEqual(events.map((e) => e.id), logged, 'the follower printed the log, in order');
    } finally {
      follower.kill('SIGTERM');
    }
  });

  it('serve refuses a public address without TLS, half a certificate, and a certificate it cannot read', async () => {
    const open = await t.hangar(['serve', '--host', '0.0.0.0']);
    assert.equal(open.code, 2);
    assert.match(open.stderr, /in the clear; give --tls-cert and --tls-key/);
    const cert = opensslCert(t.home);
    const half = await t.hangar(['serve', '--tls-cert', cert.cert]);
    assert.equal(half.code, 2);
    assert.match(half.stderr, /--tls-cert and --tls-key go together/);
    const missing = await t.hangar(['serve', '--tls-cert', path.join(t.home, 'nope.crt'), '--tls-key', cert.key]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Cannot read the TLS certificate .*nope\.crt: ENOENT/);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
