import { setTimeout as sleep } from 'node:timers/promises';
import type { Sandbox, SandboxProvider } from '../../../src/sandbox/types';
import { assertCheckpointExact } from './checkpoint-files';
import { env, makeRepo, newProvider, ok, requireDocker, TIMEOUT } from './helpers';

// Overlay-mode checkpoints read the upper dir: a directory removed and made again is opaque (the snapshot's files in it
// are gone; overlay-view.ts, opaque.ts), and a file's blob id is kept while its stat data stays the same
// (upper-blobs.ts). Each step's checkpoint must hold exactly the container's files, including a rewrite of the same
// size right after a checkpoint (the kernel's coarse file times) and one after the file had settled.

const FILES: Record<string, string> = { '.gitignore': '*.log\nbuild/\n' };
for (let i = 0; i < 8; i++) FILES[`d${i}/f${i}.txt`] = `file ${i}\n`;

describe('overlay checkpoints from the upper dir', function () {
  this.timeout(TIMEOUT);
  let provider: SandboxProvider;
  let sb: Sandbox;

  before(async () => {
    await requireDocker();
    provider = newProvider({ files: 'overlay' });
    sb = await provider.provision({ sessionId: 'overlay-upper', repoPath: makeRepo(FILES), environment: env() });
  });
  after(async () => {
    await provider.reap(new Set());
    await provider.close();
  });

  it('a directory removed and made again hides the snapshot\'s files in it, checkpoint after checkpoint', async () => {
    for (const command of ['rm -rf d1 && mkdir d1 && echo other > d1/other.txt', 'echo more >> d2/f2.txt', 'mv d4 d4b && mkdir d4 && echo n > d4/n', 'rm -rf d4b/f4.txt && echo x > d1/x.log']) {
      await ok(sb, 'bash', { command });
      await assertCheckpointExact(sb, command);
    }
  });

  it('a file rewritten with as many bytes is seen, right after a checkpoint and after it settled', async () => {
    await ok(sb, 'bash', { command: 'printf aaaa > d3/f3.txt' });
    await assertCheckpointExact(sb, 'the first write');
    await ok(sb, 'bash', { command: 'printf bbbb > d3/f3.txt' });
    await assertCheckpointExact(sb, 'a rewrite of the same size at once');
    await sleep(1500);
    await assertCheckpointExact(sb, 'nothing (the file settled)');
    await ok(sb, 'bash', { command: 'printf cccc > d3/f3.txt && touch -r d0/f0.txt d3/f3.txt' });
    await assertCheckpointExact(sb, 'a rewrite of the same size with the old mtime');
  });
});
