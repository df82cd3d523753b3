import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { LocalSandboxProvider } from '../../../src/sandbox/local';
import type { DockerSandbox } from '../../../src/sandbox/docker/sandbox';
import type { Sandbox, SandboxProvider } from '../../../src/sandbox/types';
import { env, makeRepo, newProvider, ok, requireDocker, TIMEOUT, tmpDir, retireAll } from './helpers';

// The agent's /workspace is a checkout of the user's repository in every provider (issue #19 §5): the user's branch
// and HEAD, history, the user's uncommitted changes as working-tree changes; while Hangar's baseline stays out of
// the workspace's .git, so the agent's commits, resets and even `rm -rf .git` leave the review diff as it was.

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=User', '-c', 'user.email=u@u', ...args], { cwd, encoding: 'utf8' }).trim();

function userRepo(): string {
  const repo = makeRepo({ 'a.txt': 'first\n', 'gone.txt': 'g\n', 'keep.txt': 'k\n' });
  git(repo, 'checkout', '-q', '-b', 'feature');
  fs.appendFileSync(path.join(repo, 'a.txt'), 'second\n');
  git(repo, 'commit', '-qam', 'second line');
  fs.appendFileSync(path.join(repo, 'a.txt'), 'uncommitted\n');
  fs.rmSync(path.join(repo, 'gone.txt'));
  fs.writeFileSync(path.join(repo, 'notes.md'), 'untracked\n');
  return repo;
}

const sh = (sb: Sandbox, command: string) => ok(sb, 'bash', { command });

async function checkCheckout(sb: Sandbox, repo: string): Promise<void> {
  assert.equal(await sh(sb, 'git rev-parse --abbrev-ref HEAD'), 'feature');
  assert.equal(await sh(sb, 'git rev-parse HEAD'), git(repo, 'rev-parse', 'HEAD'));
  assert.equal(await sh(sb, 'git log --format=%s'), 'second line\ninit');
  assert.equal(await sh(sb, 'git status --porcelain'), ' M a.txt\n D gone.txt\n?? notes.md');
  assert.match(await sh(sb, 'git diff a.txt'), /^\+uncommitted$/m);
  assert.match(await sh(sb, 'git blame -s a.txt'), /second$/m);
  // Nothing of Hangar's in the agent's repository: no baseline ref, no index of its own, no remote to the host.
  assert.equal(await sh(sb, "git for-each-ref --format='%(refname)'"), 'refs/heads/feature');
  assert.equal(await sh(sb, 'ls .git | grep -c hangar || true'), '0');
  assert.equal(await sh(sb, 'git remote'), '(no output)');
}

async function checkReviewUnmoved(sb: Sandbox): Promise<void> {
  assert.deepEqual((await sb.changes()).files, []);
  await sh(sb, 'echo agent >> a.txt && git commit -qm "agent work" a.txt');
  const committed = await sb.changes();
  assert.deepEqual(committed.files.map((f) => [f.path, f.status]), [['a.txt', 'modified']]);
  // The baseline holds the user's uncommitted line: the review shows the agent's line only.
  assert.match(committed.patch, /^ uncommitted\n\+agent$/m);
  assert.equal(await sh(sb, 'git log -1 --format=%s'), 'agent work');
  await sh(sb, 'echo again >> keep.txt && rm -rf .git');
  assert.deepEqual((await sb.changes()).files.map((f) => [f.path, f.status]), [['a.txt', 'modified'], ['keep.txt', 'modified']]);
  assert.equal((await sb.readFile('a.txt', 'baseline'))?.toString(), 'first\nsecond\nuncommitted\n');
}

describe('every provider: /workspace is a checkout of the user repository', function () {
  this.timeout(TIMEOUT);
  const providers: SandboxProvider[] = [];
  let repo: string;
  before(async () => {
    await requireDocker();
    repo = userRepo();
  });
  after(() => retireAll(providers));

  const cases: [string, () => SandboxProvider][] = [
    ['local', () => new LocalSandboxProvider({ storageRoot: tmpDir('local') })],
    ['docker overlay', () => newProvider({ files: 'overlay' })],
    ['docker copy', () => newProvider({ files: 'copy' })],
  ];
  for (const [name, make] of cases) {
    it(`${name}: branch, HEAD, history and uncommitted changes as on the user's machine; the review ignores the agent's git`, async () => {
      const provider = make();
      providers.push(provider);
      const sb = await provider.provision({ sessionId: `agent-git-${name.replace(' ', '-')}`, repoPath: repo, environment: env() });
      await checkCheckout(sb, repo);
      await checkReviewUnmoved(sb);
    });
  }

  it("docker copy: the baseline is on the host; a new container or a wiped stat cache gives the same review", async () => {
    const provider = newProvider({ files: 'copy' });
    providers.push(provider);
    const sb = (await provider.provision({ sessionId: 'agent-git-copy-revive', repoPath: repo, environment: env() })) as DockerSandbox;
    await sh(sb, 'echo agent >> a.txt && rm keep.txt && echo new > new.txt');
    const before = await sb.changes();
    assert.deepEqual(before.files.map((f) => [f.path, f.status]), [['a.txt', 'modified'], ['keep.txt', 'deleted'], ['new.txt', 'added']]);
    await sh(sb, 'rm -rf /var/tmp/hangar-scan .git');
    assert.deepEqual(await sb.changes(), before);
    await (await requireDocker()).getContainer(sb.containerId as string).remove({ force: true });
    assert.deepEqual(await sb.changes(), before);
    assert.equal((await sb.readFile('keep.txt', 'baseline'))?.toString(), 'k\n');
  });
});
