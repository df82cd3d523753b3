import assert from 'node:assert/strict';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';

// Issue #19 §9: a session on the local provider starts by saying what it does not isolate or apply (the Docker
// provider does): the environment's limited networking and changed limits, its image, the repository's
// devcontainer.json. The line goes out as the session's status (onProgress: the CLI's status line, the extension's
// progress event), at creation, before any turn.

describe('local provider: a session says what it runs differently', () => {
  let t: TestRuntime;
  const progress: { session: string; message: string }[] = [];

  before(async () => {
    t = await makeTestRuntime({
      repoFiles: { 'README.md': '# r\n', '.devcontainer/devcontainer.json': JSON.stringify({ image: 'node:20', features: { './x': {} }, postCreateCommand: 'npm ci' }) },
      runtime: { onProgress: (session, message) => progress.push({ session, message }) },
    });
  });
  after(() => t?.close());

  const said = (id: string) => progress.filter((p) => p.session === id).map((p) => p.message);

  it('names limited networking, changed limits, the image and the devcontainer.json it does not apply', async () => {
    const env = await t.runtime.environments.create({
      name: 'strict',
      config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: ['api.example.com'], allow_package_managers: true } },
      metadata: { 'hangar.image': 'team/dev:3', 'hangar.memory_mb': '1234' },
    });
    const s = await t.runtime.sessions.create({ agent: await t.agent(), environment_id: env.id, resources: [{ type: 'local_repository', path: t.repo }] });
    const lines = said(s.id);
    assert.equal(lines.length, 1, lines.join('\n'));
    const line = lines[0] as string;
    assert.match(line, /^Local sandbox: commands run on this machine as you, without isolation/);
    assert.match(line, /networking \(limited to api\.example\.com, package managers\) is not enforced/);
    assert.match(line, /limits \(memory_mb 1234\) are not enforced/);
    assert.match(line, /image team\/dev:3 is not used/);
    assert.match(line, /\.devcontainer\/devcontainer\.json is not applied \(no image, features, containerEnv\/remoteEnv or lifecycle commands\)/);
    assert.match(line, /Use the Docker provider/);
  });

  it('says only that there is no isolation when nothing else differs', async () => {
    const env = await t.runtime.environments.create({ name: 'open', config: { type: 'cloud', networking: { type: 'unrestricted' } } });
    const s = await t.runtime.sessions.create({ agent: await t.agent(), environment_id: env.id });
    assert.deepEqual(said(s.id), ['Local sandbox: commands run on this machine as you, without isolation, in a copy of the repository. Use the Docker provider (--provider docker, or hangar.sandbox.provider "docker" in VS Code) for an isolated sandbox.']);
  });
});
