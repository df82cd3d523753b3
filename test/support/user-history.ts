import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

// A user's repository with history and uncommitted work, for the tests of uploaded workspaces (issue #15 §2): on the
// test repository's `init` commit, a branch `feature` with two commits of Ada's, then a changed README.md and an
// untracked notes.md.

/** git in `repo` as the user Ada; its output, trimmed. */
export function gitAsUser(repo: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.com' } }).trim();
}

export function addUserHistory(repo: string): void {
  gitAsUser(repo, 'checkout', '-q', '-b', 'feature');
  writeFileSync(path.join(repo, 'lib.js'), 'export const answer = 42;\n');
  gitAsUser(repo, 'add', 'lib.js');
  gitAsUser(repo, 'commit', '-qm', 'Add the answer');
  writeFileSync(path.join(repo, 'README.md'), '# sample\n\nMore words.\n');
  gitAsUser(repo, 'commit', '-qam', 'Say more in the README');
  // Uncommitted: a changed tracked file and an untracked one.
  writeFileSync(path.join(repo, 'README.md'), '# sample\n\nMore words, not committed.\n');
  writeFileSync(path.join(repo, 'notes.md'), 'draft\n');
}
