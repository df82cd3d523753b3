import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { LABEL_MANAGED, LABEL_ROOT, rootKey } from '../../../src/sandbox/docker/names';
import type { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { env, makeRepo, newProvider, ok, requireDocker, sandboxContainerId, text, TIMEOUT, tmpDir, treeChecksum, retireAll } from './helpers';

// Containers are cattle: killed mid-command, the call says why and the next call runs in a new container on the
// same files; a restarted host reattaches to the running container; the reaper and destroy leave nothing behind.

describe('docker sandbox: lifecycle', function () {
  this.timeout(TIMEOUT);
  let docker: Docker;
  const providers: DockerSandboxProvider[] = [];
  const make = (opts: Parameters<typeof newProvider>[0] = {}) => {
    const p = newProvider(opts);
    providers.push(p);
    return p;
  };

  before(async () => {
    docker = await requireDocker();
  });
  after(() => retireAll(providers));

  it('a container killed mid-command: the call names the cause, the next call gets a new container with the files', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sb = await make().provision({ sessionId: 'kill', repoPath: repo, environment: env() });
    await ok(sb, 'write', { file_path: 'kept.txt', content: 'survives\n' });
    const first = sandboxContainerId(sb);
    const running = sb.execute('bash', { command: 'echo started; sleep 60' });
    await new Promise((r) => setTimeout(r, 1000));
    await docker.getContainer(first).kill();
    const outcome = await running;
    assert.equal(outcome.is_error, true);
    assert.match(text(outcome), /killed \(SIGKILL/);
    assert.equal(await ok(sb, 'bash', { command: 'cat kept.txt a.txt' }), 'survives\na');
    assert.notEqual(sandboxContainerId(sb), first);
    assert.deepEqual((await sb.changes()).files.map((f) => f.path), ['kept.txt']);
  });

  it('an interrupt kills the running command and its children; the shell goes on', async () => {
    const sb = await make().provision({ sessionId: 'interrupt', environment: env() });
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 1500);
    const outcome = await sb.execute('bash', { command: '(sleep 100 &) ; sleep 200 & sleep 300' }, { signal: ac.signal });
    assert.equal(outcome.is_error, true);
    assert.ok(Date.now() - started < 20_000);
    const ps = await ok(sb, 'bash', { command: 'ps -eo args | grep "^sleep [123]00" || true' });
    assert.equal(ps, '(no output)');
  });

  it('a new provider instance (host restart) reattaches to the running container', async () => {
    const storageRoot = make().root.replace(/\/docker$/, '');
    const a = make({ storageRoot });
    const sa = await a.provision({ sessionId: 'reattach', environment: env() });
    await ok(sa, 'bash', { command: 'mkdir -p sub && cd sub && export MARK=kept && echo x > f.txt' });
    const id = sandboxContainerId(sa);
    const b = make({ storageRoot });
    const progress: string[] = [];
    const sbB = await b.provision({ sessionId: 'reattach', environment: env(), onProgress: (m) => progress.push(m) });
    assert.equal(sandboxContainerId(sbB), id);
    assert.ok(progress.some((m) => /Reattached/.test(m)));
    assert.equal(await ok(sbB, 'bash', { command: 'pwd; echo $MARK; cat f.txt' }), '/workspace/sub\nkept\nx');
  });

  it('release stops the container but keeps the files; provision again continues on them', async () => {
    const p = make();
    const sb = await p.provision({ sessionId: 'release', environment: env() });
    await ok(sb, 'write', { file_path: 'x.txt', content: 'x\n' });
    const id = sandboxContainerId(sb);
    await sb.release();
    await assert.rejects(docker.getContainer(id).inspect(), /no such container/i);
    assert.equal((await sb.execute('bash', { command: 'true' })).is_error, true);
    const again = await p.provision({ sessionId: 'release', environment: env() });
    assert.equal(await ok(again, 'bash', { command: 'cat x.txt' }), 'x');
  });

  it('destroy removes the container, the volume and the host dirs', async () => {
    const p = make();
    const sb = await p.provision({ sessionId: 'destroy', repoPath: makeRepo({ 'f.txt': 'f\n' }), environment: env() });
    const id = sandboxContainerId(sb);
    const info = await docker.getContainer(id).inspect();
    const volume = info.Mounts[0]?.Name as string;
    await p.destroy('destroy');
    await assert.rejects(docker.getContainer(id).inspect(), /no such container/i);
    await assert.rejects(docker.getVolume(volume).inspect(), /no such volume/i);
    assert.deepEqual(fs.readdirSync(path.join(p.root, 'layers')), []);
    assert.equal(fs.existsSync(path.join(p.root, 'sessions', 'destroy.json')), false);
  });

  it('the reaper removes the leftovers of sessions that no longer exist, and only those', async () => {
    const p = make();
    const keep = await p.provision({ sessionId: 'keep', environment: env() });
    await p.provision({ sessionId: 'stale', environment: env() });
    const other = make();
    const foreign = await other.provision({ sessionId: 'stale', environment: env() });
    const removed = await p.reap(new Set(['keep']));
    assert.deepEqual(removed, ['stale']);
    const ours = await docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=1`, `${LABEL_ROOT}=${rootKey(p.root)}`] } });
    assert.deepEqual(ours.map((c) => c.Id), [sandboxContainerId(keep)]);
    assert.equal(fs.readdirSync(path.join(p.root, 'layers')).length, 1);
    assert.equal(await ok(keep, 'bash', { command: 'echo alive' }), 'alive');
    // Another storage root's session of the same id is not touched.
    assert.equal(await ok(foreign, 'bash', { command: 'echo alive' }), 'alive');
  });

  it('nothing on the host outside the session volume changes', async () => {
    const repo = makeRepo({ 'src/a.txt': 'a\n', 'run.sh': '#!/bin/sh\n', 'del.txt': 'd\n' });
    const p = make();
    const sb = await p.provision({ sessionId: 'host-intact', repoPath: repo, environment: env() });
    const snapshots = path.join(p.root, 'snapshots');
    const before = { repo: treeChecksum(repo), snapshots: treeChecksum(snapshots) };
    const marker = path.join('/tmp', `hangar-escape-${Date.now()}`);
    await ok(sb, 'bash', {
      command: `echo changed >> src/a.txt; chmod 000 run.sh; rm del.txt; mv src moved; touch ${marker} /workspace/new; ln -sf /etc/passwd pw; echo x > pw 2>/dev/null; true`,
    });
    const escaped = await sb.execute('write', { file_path: '../outside.txt', content: 'x' });
    assert.equal(escaped.is_error, true);
    assert.deepEqual({ repo: treeChecksum(repo), snapshots: treeChecksum(snapshots) }, before);
    assert.equal(fs.existsSync(marker), false);
    const info = await docker.getContainer(sandboxContainerId(sb)).inspect();
    assert.deepEqual(info.Mounts.map((m) => [m.Type, m.Destination]), [['volume', '/workspace']]);
    assert.equal(info.HostConfig.Binds ?? null, null);
    const files = (await sb.changes()).files.map((f) => `${f.status} ${f.path}`);
    assert.deepEqual(files, ['deleted del.txt', 'added moved/a.txt', 'added new', 'added pw', 'deleted src/a.txt']);
  });

  it('the snapshot is isolated from later edits of the repository; a new session sees them', async () => {
    const repo = makeRepo({ 'f.txt': 'old\n', 'same.txt': 'same\n' });
    const p = make();
    const s1 = await p.provision({ sessionId: 'iso-1', repoPath: repo, environment: env() });
    fs.writeFileSync(path.join(repo, 'f.txt'), 'edited in place\n');
    fs.writeFileSync(path.join(repo, 'added.txt'), 'new\n');
    assert.equal(await ok(s1, 'bash', { command: 'cat f.txt; ls' }), 'old\nf.txt\nsame.txt');
    assert.equal((await s1.readFile('f.txt', 'baseline'))?.toString(), 'old\n');
    const s2 = await p.provision({ sessionId: 'iso-2', repoPath: repo, environment: env() });
    assert.equal(await ok(s2, 'bash', { command: 'cat f.txt; ls' }), 'edited in place\nadded.txt\nf.txt\nsame.txt');
    assert.equal(await ok(s1, 'bash', { command: 'cat f.txt' }), 'old');
  });

  it("makes as many containers at once as the engine's machine has cores (at most 4), unless told how many", async () => {
    const cores = ((await docker.info()) as { NCPU: number }).NCPU;
    assert.deepEqual(await Promise.all([make().startsAtOnce(), make({ parallelStarts: 3 }).startsAtOnce()]), [Math.min(4, cores), 3]);
  });

  it("a devcontainer's long postCreateCommand does not hold the start of another session's container", async () => {
    // One start at a time: before, a layer held its start slot through its lifecycle commands, so B waited for A's.
    const p = make({ parallelStarts: 1 });
    const gate = tmpDir('gate');
    fs.chmodSync(gate, 0o755);
    const waitForGo = 'for i in $(seq 600); do [ -e /mnt/gate/go ] && exit 0; sleep 0.1; done; exit 1';
    const a = makeRepo({ '.devcontainer/devcontainer.json': JSON.stringify({ image: 'hangar-sandbox:latest', postCreateCommand: waitForGo }) });
    const progress: string[] = [];
    const slow = p.provision({ sessionId: 'slow-create', repoPath: a, environment: env(), mounts: [{ source: gate, target: '/mnt/gate' }], onProgress: (m) => progress.push(m) });
    while (!progress.some((m) => m.startsWith('postCreateCommand'))) await new Promise((r) => setTimeout(r, 100));
    const other = await p.provision({ sessionId: 'while-creating', repoPath: makeRepo({ 'b.txt': 'b\n' }), environment: env() });
    assert.equal(await ok(other, 'bash', { command: 'cat b.txt' }), 'b');
    fs.writeFileSync(path.join(gate, 'go'), '');
    await ok(await slow, 'bash', { command: 'true' });
  });
});
