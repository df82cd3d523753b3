import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { env, makeRepo, newProvider, ok, requireDocker, TIMEOUT } from './helpers';

// Copy mode's copy (seedWorkspace streams files read ahead, without waiting on the engine entry by entry): what lands
// in /workspace is the repository exactly (bytes, executable bits, symlinks, odd names, many directories), owned by
// the sandbox user, and an untouched session reports no changes.

describe('docker sandbox: copy mode seeding', function () {
  this.timeout(TIMEOUT);
  let provider: DockerSandboxProvider;

  before(async () => {
    await requireDocker();
    provider = newProvider({ files: 'copy' });
  });
  after(async () => {
    await provider.reap(new Set());
    await provider.close();
  });

  it('copies every file, mode and link as they are, and the baseline matches the copy', async () => {
    const files: Record<string, string | Buffer> = { 'bin/run.sh': '#!/bin/sh\necho run\n', 'data/blob.bin': Buffer.from([0, 255, 10, 13, 0]), 'name with spaces.txt': 'spaced\n', 'q"uote.txt': 'q\n' };
    // More files than the copy keeps in flight, across many directories.
    for (let i = 0; i < 600; i++) files[`deep/d${i % 13}/e${i % 5}/f${i}.txt`] = `file ${i}\n`.repeat((i % 7) + 1);
    const repo = makeRepo(files, { commit: false });
    fs.chmodSync(path.join(repo, 'bin/run.sh'), 0o755);
    fs.symlinkSync('bin/run.sh', path.join(repo, 'link-to-run'));
    const sb = await provider.provision({ sessionId: 'seed', repoPath: repo, environment: env() });

    assert.deepEqual((await sb.changes()).files, [], 'an untouched copy has no changes');
    // Digests, not listings: a tool result is cut past its output limit.
    const listing = await ok(sb, 'bash', { command: "find . -path ./.git -prune -o ! -type d -printf '%y %m %u %p\\n' | LC_ALL=C sort | grep -v '^f 644 agent ./deep/' ; find deep -type f | wc -l" });
    assert.deepEqual(listing.split('\n'), ['f 644 agent ./data/blob.bin', 'f 644 agent ./name with spaces.txt', 'f 644 agent ./q"uote.txt', 'f 755 agent ./bin/run.sh', 'l 777 agent ./link-to-run', '600']);
    const digest = 'find . -path ./.git -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha1sum | sha1sum';
    assert.equal(await ok(sb, 'bash', { command: digest }), execFileSync('sh', ['-c', digest], { cwd: repo }).toString().trimEnd(), 'the bytes of every file');
    assert.equal(await ok(sb, 'bash', { command: 'readlink link-to-run && stat -c %U .' }), 'bin/run.sh\nagent');

    await ok(sb, 'bash', { command: 'rm "name with spaces.txt" && chmod -x bin/run.sh && echo x >> deep/d0/e0/f0.txt' });
    const changed = (await sb.changes()).files.map((f) => [f.path, f.status]);
    assert.deepEqual(changed, [
      ['bin/run.sh', 'mode_changed'],
      ['deep/d0/e0/f0.txt', 'modified'],
      ['name with spaces.txt', 'deleted'],
    ]);
  });
});
