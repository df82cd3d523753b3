import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RemoteRuntimeClient } from '../../../src/extension/connection/remote-client';
import { probeFrom, workspaceRepository } from '../../../src/extension/connection/workspace-source';
import { reply } from '../../../src/model/scripted';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { applyChanges } from '../../../src/review/apply';
import type { SessionEvent } from '../../../src/wire';
import { sessionRepository, sessionWorkspacePath } from '../../../src/wire/session-repository';
import { hiding, startServe, stopServe, type StartedServe } from '../../support/hangar-serve';
import { opensslCert } from '../../support/tls-certs';
import { useCli } from '../cli/harness';

// A runtime that cannot see the client's workspace (issue #15 §2): `hangar serve` over HTTPS in a mount namespace of
// its own, with an empty directory mounted over the workspace's path, is what a runtime on another machine sees there. The
// extension's seam (RemoteRuntimeClient, the real SDK over HTTP) probes, is told no, uploads the workspace, the agent
// (scripted model) edits a file in the copy, and the change is applied to the workspace here by review's applyChanges.

const MB = 1024 * 1024;

describe('remote runtime that cannot see the workspace', function () {
  this.timeout(120_000);
  const t = useCli();
  let server: StartedServe | undefined;
  let client: RemoteRuntimeClient | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await stopServe(server);
    server = undefined;
  });

  /**
   * `hangar serve`; with `hide`, over HTTPS (a self-signed certificate, pinned by the client) in a mount namespace
   * where that directory is an empty one, as a runtime on another machine.
   */
  async function serve(hide?: string): Promise<RemoteRuntimeClient> {
    const cert = hide ? opensslCert(t.home) : undefined;
    const argv = [process.execPath, t.cli, '--json', 'serve', ...(cert ? ['--tls-cert', cert.cert, '--tls-key', cert.key] : [])];
    const started = await startServe(argv, t.env(), hide ? hiding(hide) : undefined);
    server = started;
    const token = readFileSync(started.announced.token_file, 'utf8').trim();
    client = new RemoteRuntimeClient({ url: started.announced.url, token, ...(cert ? { trust: { pin: cert.fingerprint256 } } : {}) });
    return client;
  }

  it('probes, uploads the workspace, and the agent\'s edit is reviewed and applied here', async () => {
    // What git lists: tracked, and untracked but not ignored (notes.md); an ignored file (secret.env) stays here.
    writeFileSync(path.join(t.repo, '.gitignore'), 'secret.env\n');
    writeFileSync(path.join(t.repo, 'notes.md'), 'draft notes\n');
    writeFileSync(path.join(t.repo, 'secret.env'), 'TOKEN=do-not-ship\n');
    t.model.push(
      reply.tool('bash', { command: 'cat notes.md; ls -a; test -e secret.env || echo no-secret-here' }),
      reply.tool('edit', { file_path: 'src/app.js', old_string: '"hi"', new_string: '"hello from afar"' }),
      reply.text('Changed the greeting.'),
    );
    const c = await serve(t.repo);

    const probe = await probeFrom(c, t.repo);
    assert.equal(probe.visible, false);
    assert.match(probe.reason, /has a directory .*, but it is not this workspace/);
    assert.deepEqual(readdirSync(path.join(t.repo, '.git')).filter((f) => f.startsWith('.hangar-probe-')), [], 'the probe file is removed');
    await assert.rejects(workspaceRepository(c, t.repo, { mode: 'shared', maxBytes: 10 * MB }), /hangar\.runtime\.workspace is "shared", but the runtime at .* cannot work on .* in place: .*Set it to "auto"/);

    const steps: string[] = [];
    const repo = await workspaceRepository(c, t.repo, { mode: 'auto', maxBytes: 10 * MB, report: (m) => steps.push(m) });
    assert.equal(repo.path, t.repo);
    assert.match(c.where, /^https:\/\/localhost:\d+$/);
    assert.match(repo.upload?.file_id ?? '', /^file_/);
    assert.ok(steps.some((s) => /^uploading the workspace \(4 files/.test(s)), steps.join('\n'));

    const agent = await c.createAgent({ name: 'afar', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }] });
    const env = await c.defaultEnvironment({});
    const session = await c.createSession({ agent: agent.id, environment_id: env.id, resources: [repo] });
    const resource = sessionRepository(session.resources)!;
    assert.notEqual(resource.path, t.repo, "the runtime works on its own copy");
    assert.equal(resource.upload?.client_path, t.repo);
    assert.equal(sessionWorkspacePath(session.resources), t.repo, 'review applies here');

    const seen: SessionEvent[] = [];
    const stop = await c.follow(session.id, 'now', { onEvent: (e) => seen.push(e) });
    await c.send(session.id, [{ type: 'user.message', content: [{ type: 'text', text: 'greet from afar' }] }]);
    for (const deadline = Date.now() + 60_000; !seen.some((e) => e.type === 'session.status_idle'); await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > deadline) throw new Error(`no idle; events: ${seen.map((e) => e.type).join(', ')}`);
    }
    stop();
    const bash = seen.find((e) => e.type === 'agent.tool_result');
    const output = JSON.stringify(bash);
    assert.match(output, /draft notes/, 'the untracked file went along');
    assert.match(output, /no-secret-here/, 'the ignored file did not');

    const changes = await c.changes(session.id);
    assert.deepEqual(changes.files.map((f) => [f.path, f.status]), [['src/app.js', 'modified']]);
    assert.equal(readFileSync(path.join(t.repo, 'src/app.js'), 'utf8'), 'console.log("hi");\n', 'nothing reaches the workspace before review');
    const applied = await applyChanges(t.repo, changes, (file, side) => c.readFile(session.id, file, side));
    assert.deepEqual(applied.conflicts, []);
    assert.deepEqual(applied.applied, ['src/app.js']);
    assert.equal(readFileSync(path.join(t.repo, 'src/app.js'), 'utf8'), 'console.log("hello from afar");\n');
  });

  it('works on the workspace in place when the runtime sees it (same machine, no upload)', async () => {
    const c = await serve();
    const probe = await probeFrom(c, t.repo);
    assert.deepEqual(probe, { type: 'workspace_probe', visible: true, reason: `The runtime reads this workspace at ${t.repo}.` });
    const repo = await workspaceRepository(c, t.repo, { mode: 'auto', maxBytes: 10 * MB });
    assert.deepEqual(repo, { type: 'local_repository', path: t.repo });
    // A workspace that is not a git repository gets its probe as a dotfile at the top, removed again.
    const plain = mkdtempSync(path.join(os.tmpdir(), 'hangar-plain-'));
    try {
      writeFileSync(path.join(plain, 'a.txt'), 'a\n');
      assert.equal((await probeFrom(c, plain)).visible, true);
      assert.deepEqual(readdirSync(plain), ['a.txt']);
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });
});
