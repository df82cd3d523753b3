import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { reply } from '../../../src/model/scripted';
import { useCli, type CliWorld } from './harness';

// `hangar apply ID --branch NAME`: the session's changes as one commit on a new branch, on both providers. The user's
// checkout (HEAD, index, working tree, other refs) must be byte-for-byte what it was, and the branch must hold exactly
// the session's changes on top of HEAD.

const ME = { GIT_AUTHOR_NAME: 'Ada User', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada User', GIT_COMMITTER_EMAIL: 'ada@example.com' };

function gitIn(repo: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, ...ME } }).trim();
}

/** Every file of the repository (its .git too) but those `except` names, with its mode and a hash of its bytes (or its link's target). */
function snapshot(repo: string, except: (rel: string) => boolean): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      const rel = path.relative(repo, file);
      if (except(rel)) continue;
      const st = lstatSync(file);
      if (st.isDirectory()) walk(file);
      else out.set(rel, `${st.mode.toString(8)} ${st.isSymbolicLink() ? readlinkSync(file) : createHash('sha256').update(readFileSync(file)).digest('hex')}`);
    }
  };
  walk(repo);
  return out;
}

async function runSession(t: CliWorld, provider: string): Promise<string> {
  t.model.push(
    reply.tool('edit', { file_path: 'src/app.js', old_string: '"hi"', new_string: '"hello"' }),
    reply.tool('write', { file_path: 'docs/new.md', content: 'new file\n' }),
    reply.tool('bash', { command: 'rm old.txt && chmod +x run.sh' }),
    reply.text('Greeting changed, notes added, old.txt removed, run.sh made executable.'),
  );
  const r = await t.hangar(['run', '--provider', provider, '--repo', t.repo, '--yes', 'Tidy the repository\nand more words']);
  assert.equal(r.code, 0, r.stderr);
  const id = / apply (sesn_\w+)/.exec(r.stdout)?.[1];
  assert.ok(id, r.stdout);
  return id;
}

for (const provider of ['local', 'docker']) {
  describe(`cli: apply --branch (${provider} sandbox${provider === 'docker' ? ', Docker required' : ''})`, function () {
    this.timeout(provider === 'docker' ? 300_000 : 120_000);
    const t = useCli();
    const hangar = (args: string[], extra: Record<string, string | undefined> = ME) => t.hangar(['--provider', provider, ...args], extra);
    beforeEach(() => {
      writeFileSync(path.join(t.repo, 'old.txt'), 'old\n');
      writeFileSync(path.join(t.repo, 'run.sh'), 'echo run\n');
      gitIn(t.repo, 'add', '-A');
      gitIn(t.repo, 'commit', '-qm', 'more files');
    });

    it("commits exactly the session's changes to a new branch and leaves the checkout byte-for-byte untouched", async () => {
      const id = await runSession(t, provider);
      // The user goes on working meanwhile: a dirty file the session did not touch, an untracked one, a staged one.
      writeFileSync(path.join(t.repo, 'README.md'), '# demo, edited by the user\n');
      writeFileSync(path.join(t.repo, 'scratch.txt'), 'untracked\n');
      writeFileSync(path.join(t.repo, 'staged.txt'), 'staged\n');
      gitIn(t.repo, 'add', 'staged.txt');
      // Not compared: the new branch's ref and reflog, and .git/objects, which gains the commit's objects (each file
      // there is immutable, named by its content's hash).
      const newRef = (rel: string) => rel.includes('hangar/tidy') || rel === path.join('.git', 'worktrees') || rel === path.join('.git', 'objects');
      const before = snapshot(t.repo, newRef);
      const head = gitIn(t.repo, 'rev-parse', 'HEAD');
      const refs = gitIn(t.repo, 'for-each-ref');

      const r = await hangar(['apply', id, '--branch', 'hangar/tidy', '--message', 'Tidy up\n\nBody line.']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Committed 4 file\(s\) to the new branch hangar\/tidy/);
      assert.match(r.stdout, /git switch hangar\/tidy/);

      assert.deepEqual(snapshot(t.repo, newRef), before, 'HEAD, the index, the working tree and .git are as they were');
      assert.equal(gitIn(t.repo, 'rev-parse', 'HEAD'), head);
      assert.equal(gitIn(t.repo, 'for-each-ref').replace(/^.*refs\/heads\/hangar\/tidy\n?/m, ''), refs, 'no ref but the new branch');
      assert.equal(gitIn(t.repo, 'worktree', 'list').split('\n').length, 1, 'the scratch worktree is gone');

      assert.equal(gitIn(t.repo, 'rev-parse', 'hangar/tidy^'), head, 'the branch is one commit on HEAD');
      assert.equal(gitIn(t.repo, 'diff-tree', '-r', '--no-renames', '--name-status', 'HEAD', 'hangar/tidy'), 'A\tdocs/new.md\nD\told.txt\nM\trun.sh\nM\tsrc/app.js');
      assert.equal(gitIn(t.repo, 'show', 'hangar/tidy:src/app.js'), 'console.log("hello");');
      assert.match(gitIn(t.repo, 'ls-tree', 'hangar/tidy', 'run.sh'), /^100755 /);
      assert.equal(gitIn(t.repo, 'log', '-1', '--format=%an <%ae>%n%B', 'hangar/tidy'), 'Ada User <ada@example.com>\nTidy up\n\nBody line.');
    });

    it("drafts the message from the task and the agent's last message when none is given", async () => {
      const id = await runSession(t, provider);
      const r = await hangar(['--json', 'apply', id, '--branch', 'agent-draft']);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { branch: string; commit: string; files: string[] };
      assert.equal(out.branch, 'agent-draft');
      assert.deepEqual([...out.files].sort(), ['docs/new.md', 'old.txt', 'run.sh', 'src/app.js']);
      assert.equal(
        gitIn(t.repo, 'log', '-1', '--format=%B', out.commit),
        `Tidy the repository\n\nGreeting changed, notes added, old.txt removed, run.sh made executable.\n\nHangar-Session: ${id}`,
      );
    });

    // The refusals come before any sandbox is asked for its files but the first: one provider shows them.
    if (provider === 'local') it('refuses bad names, an existing branch, a moved base, no identity and a missing repository, creating nothing', async () => {
      const id = await runSession(t, provider);
      const branches = () => gitIn(t.repo, 'branch', '--format=%(refname:short)');
      const before = branches();
      for (const [name, why] of [
        ['bad..name', /not a valid branch name \(git check-ref-format\)/],
        ['has space', /not a valid branch name/],
        ['-x', /may not start with "-"/],
        [gitIn(t.repo, 'branch', '--show-current'), /already exists/],
      ] as const) {
        const r = await hangar(['apply', id, '--branch', name]);
        assert.equal(r.code, 2, `${name}: ${r.stderr}`);
        assert.match(r.stderr, why);
      }
      const stray = await hangar(['apply', id, '--message', 'x']);
      assert.equal(stray.code, 2);
      assert.match(stray.stderr, /--message and --base go with --branch/);

      const anonymous = await hangar(['apply', id, '--branch', 'who'], {});
      assert.equal(anonymous.code, 2, anonymous.stderr);
      assert.match(anonymous.stderr, /git does not know who you are[\s\S]*git config --global user\.name/);

      // A commit since the session started changed a file the session changed too: a conflict, nothing created.
      writeFileSync(path.join(t.repo, 'src/app.js'), 'console.log("moved");\n');
      gitIn(t.repo, 'commit', '-qam', 'moved on');
      const moved = await hangar(['apply', id, '--branch', 'moved']);
      assert.equal(moved.code, 5, moved.stderr);
      assert.match(moved.stderr, /Not committed: 1 path\(s\) of HEAD[\s\S]*src\/app\.js/);
      const fromOld = await hangar(['apply', id, '--branch', 'from-old', '--base', 'HEAD~1']);
      assert.equal(fromOld.code, 0, `--base names the commit the session started from: ${fromOld.stderr}`);
      assert.equal(branches(), `${before}\nfrom-old`.split('\n').sort().join('\n'));

      rmSync(path.join(t.repo, '.git'), { recursive: true, force: true });
      const notGit = await hangar(['apply', id, '--branch', 'x']);
      assert.equal(notGit.code, 2);
      assert.match(notGit.stderr, /is not a git repository/);
      rmSync(t.repo, { recursive: true, force: true });
      const gone = await hangar(['apply', id, '--branch', 'x']);
      assert.equal(gone.code, 2);
      assert.match(gone.stderr, /does not exist any more/);
    });
  });
}
