import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { git, GitError, isolatedGitEnv } from '../../../src/sandbox/repo/git';
import { runCollected } from '../../../src/tools/spawn-off-loop';

// Host git runs are started from a launcher process (spawn-off-loop.ts): they must behave exactly like a spawn on the
// loop (stdout bytes, stdin, exit codes, stderr, a missing program), each run answered with its own output.

describe('host git runs off the event loop', () => {
  let dir: string;
  const env = () => isolatedGitEnv({ GIT_DIR: path.join(dir, '.git'), GIT_WORK_TREE: dir });
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hangar-git-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('returns stdout as bytes, feeds stdin, and runs in the given directory with the given environment', async () => {
    await git(['init', '-q'], { cwd: dir, env: env() });
    const blob = Buffer.from([0xff, 0x00, 0xfe, 0x0a]);
    const id = (await git(['hash-object', '-w', '--stdin'], { cwd: dir, env: env(), input: blob })).toString('utf8').trim();
    assert.match(id, /^[0-9a-f]{40}$/);
    assert.deepEqual(await git(['cat-file', 'blob', id], { cwd: dir, env: env() }), blob);
    const out = await runCollected('sh', ['-c', 'pwd; printf %s "$ONLY_HERE"'], { cwd: dir, env: { PATH: process.env.PATH ?? '', ONLY_HERE: 'yes' } });
    assert.deepEqual({ code: out.code, stdout: out.stdout.toString('utf8') }, { code: 0, stdout: `${dir}\nyes` });
  });

  it('a failing git run is a GitError with its exit code and stderr', async () => {
    await assert.rejects(git(['rev-parse', '--verify', 'no-such-ref'], { cwd: dir, env: env() }), (err: unknown) => {
      assert.ok(err instanceof GitError);
      assert.equal(err.code, 128);
      assert.match(err.stderr, /not a git repository|Needed a single revision|fatal/);
      return true;
    });
  });

  it('a program that cannot start gives code null and the reason, and later runs still work', async () => {
    const missing = await runCollected('hangar-no-such-program', [], { env: { PATH: process.env.PATH ?? '' } });
    assert.equal(missing.code, null);
    assert.match(missing.stderr, /ENOENT/);
    const big = await runCollected('sh', ['-c', 'head -c 3000000 /dev/zero; echo oops >&2; exit 3'], { env: { PATH: process.env.PATH ?? '' } });
    assert.deepEqual({ code: big.code, bytes: big.stdout.length, stderr: big.stderr }, { code: 3, bytes: 3_000_000, stderr: 'oops\n' });
  });

  it('many runs at once each get their own output', async () => {
    const inputs = Array.from({ length: 40 }, (_, i) => `run ${i}\n`.repeat(i + 1));
    const outs = await Promise.all(inputs.map((input) => git(['hash-object', '--stdin'], { cwd: dir, env: env(), input })));
    const blobId = (text: string) => createHash('sha1').update(`blob ${Buffer.byteLength(text)}\0${text}`).digest('hex');
    assert.deepEqual(outs.map((o) => o.toString('utf8').trim()), inputs.map(blobId));
  });
});
