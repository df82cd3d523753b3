import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalSandboxProvider } from '../../../src/sandbox/local';
import { BaselineRepo } from '../../../src/sandbox/local/baseline';
import type { LocalSandbox } from '../../../src/sandbox/local/sandbox';
import { isolatedGitEnv } from '../../../src/sandbox/repo/git';
import type { Sandbox } from '../../../src/sandbox/types';
import type { SandboxEnvironment } from '../../../src/wire';
import { tempDir, text } from '../tools/helpers';
import { makeRepo, snapshot } from './helpers';

// Local checkpoints built from the file watcher's paths (watched-checkpoints.ts) against git itself: after every step
// the checkpoint must be the tree `git add -A` writes from an index holding the previous checkpoint (the oracle), and
// must have been built, not scanned, wherever the fast path should vouch. A step whose change the watcher missed, or
// that the fast path handles differently from git, fails here. The scans it falls back to (watcher off, a watcher that
// may have missed events, a nested repository, a changed .gitignore) must give the oracle's tree too.

const environment = { type: 'cloud' } as SandboxEnvironment;

/** The tree git writes for `workTree` with `base` as the index's starting point: what a checkpoint must be. */
function oracle(gitDir: string, workTree: string, base: string): string {
  const index = path.join(os.tmpdir(), `hangar-oracle-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const env = isolatedGitEnv({ GIT_DIR: gitDir, GIT_WORK_TREE: workTree, GIT_INDEX_FILE: index });
  try {
    execFileSync('git', ['read-tree', base], { cwd: workTree, env });
    execFileSync('git', ['add', '-A'], { cwd: workTree, env, stdio: 'pipe' });
    return execFileSync('git', ['write-tree'], { cwd: workTree, env, encoding: 'utf8' }).trim();
  } finally {
    execFileSync('rm', ['-f', index]);
  }
}

async function run(sb: Sandbox, name: string, input: Record<string, unknown>): Promise<string> {
  const outcome = await sb.execute(name, input);
  assert.ok(!outcome.is_error, `${name} ${JSON.stringify(input)}: ${text(outcome)}`);
  return text(outcome);
}

describe('sandbox-local: checkpoints from the file watcher', function () {
  this.timeout(60_000);
  let dir: string;
  let repo: string;
  let provider: LocalSandboxProvider;
  let sandbox: LocalSandbox;
  let last: string;

  beforeEach(async () => {
    dir = await tempDir();
    repo = path.join(dir, 'repo');
    await makeRepo(repo, {
      'README.md': '# demo\n',
      'src/app.js': 'console.log("hi");\n',
      'src/lib/util.js': 'export const x = 1;\n',
      'run.sh': { data: '#!/bin/sh\necho run\n', mode: 0o755 },
      'docs/a.md': 'a\n',
      'docs/b.md': 'b\n',
      link: { link: 'src/app.js' },
      '.gitignore': '*.log\nbuild/\n',
      'tracked.log': 'tracked although ignored\n',
    });
    provider = new LocalSandboxProvider({ storageRoot: path.join(dir, 'store') });
    sandbox = (await provider.provision({ sessionId: 'watched', repoPath: repo, environment })) as LocalSandbox;
    last = (await sandbox.checkpoint()).tree;
  });

  afterEach(async () => {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Checkpoints and checks the tree against git's; `built` says whether the fast path must have made it. */
  async function step(built: boolean, why: string): Promise<string> {
    const before = { ...sandbox.checkpointCounts };
    const ref = await sandbox.checkpoint();
    const expected = oracle(ref.gitDir, sandbox.workdir, last);
    assert.equal(ref.tree, expected, `${why}: the checkpoint is git's tree`);
    const counts = sandbox.checkpointCounts;
    if (built) assert.equal(counts.built, before.built + 1, `${why}: built from watched paths (last scan: ${counts.lastScanReason})`);
    else assert.equal(counts.scanned, before.scanned + 1, `${why}: scanned`);
    last = ref.tree;
    return ref.tree;
  }

  /** Tool calls, each followed by a checkpoint the fast path must build as git would. */
  const STEPS: [string, Record<string, unknown>, string][] = [
    ['write', { file_path: 'new.txt', content: 'brand new\n' }, 'write a new file'],
    ['edit', { file_path: 'src/app.js', old_string: '"hi"', new_string: '"hello"' }, 'edit'],
    ['bash', { command: 'chmod +x src/app.js && chmod -x run.sh && printf "caf\\351\\000" > data.bin' }, 'modes and binary bytes'],
    ['bash', { command: 'mv src lib && mv README.md README2.md' }, 'renamed directory and file'],
    ['bash', { command: 'echo later >> lib/lib/util.js && mkdir lib/lib/more && echo m > lib/lib/more/m.js' }, 'changes inside the moved directory'],
    ['bash', { command: 'rm -rf docs && rm link && ln -s lib/app.js l2 && ln -s nowhere dangling' }, 'deletions and symlinks'],
    ['bash', { command: 'mkdir -p a/b/c && echo x > a/b/c/f.txt && touch a/b/empty' }, 'new nested directories'],
    ['bash', { command: 'echo x > debug.log && mkdir -p build/out && echo y > build/out/b.js && echo more >> tracked.log' }, 'ignored files'],
    ['bash', { command: 'rm lib/app.js && mkdir lib/app.js && echo in > lib/app.js/inner && rm -rf a && echo now-a-file > a' }, 'a file becomes a directory and a directory a file'],
    ['bash', { command: 'echo t > tmp.txt && rm tmp.txt && mv lib/lib /tmp/hangar-wc-$$ && mv /tmp/hangar-wc-$$ lib/lib && mkdir gone && rmdir gone' }, 'churn that ends where it began'],
    ['bash', { command: 'mkdir -p x && (cd x && for i in $(seq 1 50); do echo $i > f$i; done && mkdir d && mv f1 d/ && chmod +x f2)' }, 'many files in a fresh directory'],
  ];

  it('builds each tool call\'s checkpoint from the paths that changed, exactly as git records them', async () => {
    assert.equal(sandbox.checkpointCounts.scanned, 1, 'the first checkpoint scans (the watcher just started)');
    for (const [tool, input, why] of STEPS) {
      await run(sandbox, tool, input);
      await step(true, why);
    }
    const files = execFileSync('git', ['ls-tree', '-r', '--name-only', last], { env: isolatedGitEnv({ GIT_DIR: (await sandbox.checkpoint()).gitDir }), encoding: 'utf8' });
    assert.ok(files.includes('tracked.log') && !files.includes('debug.log') && !files.includes('build/'), `ignored files stay out, a tracked ignored one is kept: ${files}`);
  });

  it('sees what a background process changes after the tool call returned', async () => {
    await run(sandbox, 'bash', { command: '(sleep 0.5; echo bg > bg.txt; mkdir bgdir; echo in > bgdir/f) > /dev/null 2>&1 &' });
    await step(true, 'before the background writes');
    const file = path.join(sandbox.workdir, 'bgdir', 'f');
    for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 100));
    const tree = await step(true, 'after the background writes');
    const listed = execFileSync('git', ['ls-tree', '-r', '--name-only', tree], { env: isolatedGitEnv({ GIT_DIR: (await sandbox.checkpoint()).gitDir }), encoding: 'utf8' });
    assert.match(listed, /^bgdir\/f$/m);
  });

  it('records a file written while the checkpoint is taken by the next one at the latest', async () => {
    await run(sandbox, 'bash', { command: '(for i in $(seq 1 200); do echo $i > busy.txt; done; echo done > busy.txt) > /dev/null 2>&1 &' });
    for (let i = 0; i < 5; i++) await sandbox.checkpoint();
    await new Promise((r) => setTimeout(r, 1500));
    last = (await sandbox.checkpoint()).tree;
    await step(true, 'after the writer finished');
    assert.equal(await sandbox.readFile('busy.txt', 'current').then(String), 'done\n');
  });

  it('rewinds to a fast checkpoint: exact bytes, modes and deletions, and builds on the restored tree', async () => {
    const atStart = await snapshot(sandbox.workdir);
    const start = last;
    await run(sandbox, 'bash', { command: 'chmod +x README.md && rm -rf docs && echo new > n.txt && ln -sf README.md link && printf "\\377\\000" > src/app.js' });
    const middle = await step(true, 'the change');
    const atMiddle = await snapshot(sandbox.workdir);
    await sandbox.restore({ gitDir: (await sandbox.checkpoint()).gitDir, tree: start });
    assert.deepEqual(await snapshot(sandbox.workdir), atStart);
    last = start;
    assert.equal(await step(true, 'right after the restore'), start);
    await sandbox.restore({ gitDir: (await sandbox.checkpoint()).gitDir, tree: middle });
    assert.deepEqual(await snapshot(sandbox.workdir), atMiddle);
    last = middle;
    await run(sandbox, 'bash', { command: 'echo after >> n.txt' });
    await step(true, 'a change after the restore');
  });

  it('scans instead where it cannot vouch: a changed .gitignore, a nested repository', async () => {
    await run(sandbox, 'bash', { command: 'echo x > notes.txt && echo "*.txt" >> .gitignore' });
    await step(false, 'a .gitignore changed');
    assert.match(sandbox.checkpointCounts.lastScanReason, /\.gitignore changed/);
    await run(sandbox, 'bash', { command: 'mkdir -p vendor/dep && (cd vendor/dep && git init -q && echo v > v.js && git add -A && git -c user.name=t -c user.email=t@t commit -qm v)' });
    await step(false, 'a nested repository');
    await run(sandbox, 'bash', { command: 'echo again > again.md' });
    await step(true, 'the next change is built again');
  });

  it('leaves ignored directories unwatched, and watches them again when the rules change', async () => {
    await run(sandbox, 'bash', { command: 'mkdir -p build/a/b && echo 1 > build/a/b/x' });
    await step(true, 'an ignored directory appears');
    // Over the 1,000 paths a checkpoint builds from: watched, this would be scanned.
    await run(sandbox, 'bash', { command: 'for i in $(seq 1 1200); do echo $i > build/a/f$i; done' });
    await step(true, 'many files in the unwatched ignored directory');
    await run(sandbox, 'bash', { command: "printf '*.log\\n' > .gitignore" });
    await step(false, 'the rules no longer ignore it');
    await run(sandbox, 'bash', { command: 'echo changed > build/a/b/x' });
    await step(true, 'a change in the directory now watched');
  });

  it('watches an ignored directory again after a restore that may track files in it', async () => {
    await run(sandbox, 'bash', { command: 'mkdir out && echo x > out/x' });
    await step(true, 'out/x tracked');
    await run(sandbox, 'bash', { command: 'echo out/ >> .gitignore' });
    const tracked = await step(false, 'out/ ignored, out/x still tracked');
    await run(sandbox, 'bash', { command: 'rm -rf out' });
    await step(true, 'out/ gone');
    await run(sandbox, 'bash', { command: 'mkdir -p out/z && echo z > out/z/z' });
    await step(true, 'out/ back, untracked and ignored');
    await sandbox.restore({ gitDir: (await sandbox.checkpoint()).gitDir, tree: tracked });
    last = tracked;
    assert.equal(await step(false, 'after the restore'), tracked);
    await run(sandbox, 'bash', { command: 'echo more >> out/x' });
    await step(true, 'a change to the restored tracked file');
  });

  it('makes the same trees with the watcher off (every checkpoint the full scan)', async () => {
    const off = new LocalSandboxProvider({ storageRoot: path.join(dir, 'store-off'), watchCheckpoints: false });
    try {
      const plain = (await off.provision({ sessionId: 'scanned', repoPath: repo, environment })) as LocalSandbox;
      assert.equal((await plain.checkpoint()).tree, last);
      const steps = ['echo a >> README.md && chmod +x docs/a.md', 'mv src s2 && ln -s s2 src && echo l > x.log', 'rm -rf docs s2/lib && mkdir -p q/r && echo q > q/r/q'];
      for (const command of steps) {
        await run(sandbox, 'bash', { command });
        await run(plain, 'bash', { command });
        assert.equal((await plain.checkpoint()).tree, await step(true, command), command);
      }
      assert.equal(plain.checkpointCounts.built, 0, 'the watcher was off');
    } finally {
      await off.close();
    }
  });

  it('builds in the watch worker the very trees the full scan writes, where git\'s rules are easy to get wrong', async () => {
    const off = new LocalSandboxProvider({ storageRoot: path.join(dir, 'store-off'), watchCheckpoints: false });
    try {
      const plain = (await off.provision({ sessionId: 'scanned', repoPath: repo, environment })) as LocalSandbox;
      assert.equal((await plain.checkpoint()).tree, last);
      /** [whether the fast path must build it, the command]. */
      const steps: [boolean, string][] = [
        // git orders a tree's name as if it ended in '/': a file 'a.b' sorts between dir 'a' and 'a0', a dir 'a-' before 'a'.
        [true, 'mkdir a && echo 1 > a/f && echo 2 > a.b && echo 3 > a0 && mkdir a- && echo 4 > a-/g && echo 5 > "a b"'],
        // Multi-byte UTF-8 names, an empty file, the same bytes under a second name (one blob, two entries).
        [true, 'mkdir -p "dé/ñ" && echo ü > "dé/ñ/日本.txt" && : > empty && cp README.md README.copy'],
        // Only the executable bit changes; a file is rewritten with the same bytes (no change at all).
        [true, 'chmod +x docs/a.md && cat docs/b.md > docs/b.tmp && mv docs/b.tmp docs/b.md'],
        // A symlink to a directory replaced by a directory of that name, and a directory replaced by a symlink.
        [true, 'ln -s src srclink && mkdir -p keep && echo k > keep/k'],
        [true, 'rm srclink && mkdir srclink && echo s > srclink/s && rm -rf keep && ln -s docs keep'],
        // A directory becomes ignored while its file stays tracked: a change to that file goes in, a new file there stays out.
        [true, 'mkdir out && echo t > out/t.js'],
        [false, 'echo out/ >> .gitignore'],
        [true, 'echo more >> out/t.js && echo u > out/u.js && echo again >> tracked.log'],
        // A whole tracked tree goes and comes back holding only ignored files: the directory leaves the tree.
        [true, 'rm -rf src && mkdir -p src/lib && echo x > src/lib/x.log'],
      ];
      for (const [built, command] of steps) {
        await run(sandbox, 'bash', { command });
        await run(plain, 'bash', { command });
        assert.equal(await step(built, command), (await plain.checkpoint()).tree, command);
      }
      assert.equal(plain.checkpointCounts.built, 0, 'the watcher was off');
    } finally {
      await off.close();
    }
  });
});

describe('sandbox-local: a watcher that may have missed events', function () {
  this.timeout(60_000);

  it('falls back to the full scan, and the tree has every change', async () => {
    const dir = await tempDir();
    try {
      const work = path.join(dir, 'work');
      await mkdir(path.join(work, 'd'), { recursive: true });
      await writeFile(path.join(work, 'd', 'a.txt'), 'a\n');
      // A burst of one event counts as a possible overflow: every change is "missed".
      const baseline = new BaselineRepo(path.join(dir, 'baseline.git'), work, { burstLimit: 1 });
      await baseline.create();
      const first = await baseline.checkpoint();
      for (const [i, command] of ['echo b > d/b.txt', 'rm d/a.txt && mkdir e && echo e > e/e'].entries()) {
        execFileSync('sh', ['-c', command], { cwd: work });
        const before = baseline.checkpointCounts.scanned;
        const ref = await baseline.checkpoint();
        assert.equal(baseline.checkpointCounts.scanned, before + 1, `change ${i}: scanned (${baseline.checkpointCounts.lastScanReason})`);
        assert.match(baseline.checkpointCounts.lastScanReason, /missed events/);
        assert.equal(ref.tree, oracle(ref.gitDir, work, first.tree), `change ${i}`);
      }
      await baseline.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
