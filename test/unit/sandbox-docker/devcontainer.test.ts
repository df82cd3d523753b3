import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readDevcontainer } from '../../../src/sandbox/docker/devcontainer';
import { commandArgvs } from '../../../src/sandbox/docker/devcontainer-settings';
import { DevcontainerError } from '../../../src/sandbox/docker/errors';
import { tmpDir } from '../../support/tmp';


function repoWith(files: Record<string, string>): string {
  const dir = tmpDir('dc');
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

describe('sandbox-docker: devcontainer.json', () => {
  it('reads JSON with comments and trailing commas', async () => {
    const dir = repoWith({
      '.devcontainer/devcontainer.json': '{\n // c\n "image": "img:1", /* d */ "containerEnv": {"A": "b",},\n "remoteUser": "dev",\n}',
    });
    const dc = await readDevcontainer(dir);
    assert.equal(dc?.spec.image, 'img:1');
    assert.deepEqual(dc?.spec.containerEnv, { A: 'b' });
    assert.equal(dc?.spec.remoteUser, 'dev');
    assert.equal(dc?.dir, path.join(dir, '.devcontainer'));
  });

  it('finds .devcontainer.json at the root and returns null without one', async () => {
    assert.equal((await readDevcontainer(repoWith({ '.devcontainer.json': '{"image":"x"}' })))?.spec.image, 'x');
    assert.equal(await readDevcontainer(repoWith({ 'README.md': '' })), null);
  });

  it('rejects broken JSON and wrong types with the file and the problem', async () => {
    await assert.rejects(readDevcontainer(repoWith({ '.devcontainer/devcontainer.json': '{"image": ' })), (e: unknown) => e instanceof DevcontainerError && /not valid JSON/.test(e.message));
    await assert.rejects(
      readDevcontainer(repoWith({ '.devcontainer/devcontainer.json': '{"containerEnv": {"A": 1}}' })),
      (e: unknown) => e instanceof DevcontainerError && /containerEnv\.A/.test(e.message),
    );
  });

  it('turns postCreateCommand into argv lists: string via a shell, array as is, object entry by entry', () => {
    assert.deepEqual(commandArgvs('npm ci && make'), [['/bin/sh', '-c', 'npm ci && make']]);
    assert.deepEqual(commandArgvs(['npm', 'ci']), [['npm', 'ci']]);
    assert.deepEqual(commandArgvs({ a: 'x', b: ['y', 'z'] }), [['/bin/sh', '-c', 'x'], ['y', 'z']]);
    assert.deepEqual(commandArgvs([]), []);
  });
});
