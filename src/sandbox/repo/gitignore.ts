import path from 'node:path';
import ignore, { type Ignore } from 'ignore';

// Whether `git add -A` would leave an untracked path out, from the work tree's .gitignore files (Hangar's git dirs
// set no other excludes: core.excludesFile and info/exclude are empty). As git does: a path is out when any of its
// parent directories is (nothing below an excluded directory can be re-included), else by the last rule that
// matches it, deeper .gitignore files overriding shallower ones; case-sensitive (core.ignoreCase is off on Linux).
// Rules are read once per directory and kept until `forget`: callers that see a .gitignore change start over.

export class IgnoreRules {
  private readonly rules = new Map<string, Promise<Ignore | null>>();

  /** `read` gives a work tree file's bytes by relative path, or null when there is none. */
  constructor(private readonly read: (rel: string) => Promise<Buffer | null>) {}

  private rulesOf(dir: string): Promise<Ignore | null> {
    let found = this.rules.get(dir);
    if (!found) {
      found = this.read(dir ? `${dir}/.gitignore` : '.gitignore').then((b) => (b ? ignore({ ignorecase: false }).add(b.toString('utf8')) : null));
      this.rules.set(dir, found);
    }
    return found;
  }

  /** Drops the rules read for `dir` and below (every directory when `dir` is ''). */
  forget(dir = ''): void {
    if (!dir) return this.rules.clear();
    for (const key of [...this.rules.keys()]) if (key === dir || key.startsWith(`${dir}/`)) this.rules.delete(key);
  }

  /** Is the untracked path `rel` (a directory when `isDir`) left out? */
  async ignored(rel: string, isDir: boolean): Promise<boolean> {
    const parts = rel.split('/');
    for (let depth = 1; depth <= parts.length; depth++) {
      if (await this.matched(parts.slice(0, depth), depth < parts.length || isDir)) return true;
    }
    return false;
  }

  /** Whether the rules of the directories above `parts` leave it out, the deepest matching rule deciding. */
  private async matched(parts: readonly string[], isDir: boolean): Promise<boolean> {
    const rel = parts.join('/');
    let verdict = false;
    for (let depth = 0; depth < parts.length; depth++) {
      const dir = parts.slice(0, depth).join('/');
      const rules = await this.rulesOf(dir);
      if (!rules) continue;
      const r = rules.test(path.posix.relative(dir || '.', rel) + (isDir ? '/' : ''));
      if (r.ignored) verdict = true;
      else if (r.unignored) verdict = false;
    }
    return verdict;
  }
}
