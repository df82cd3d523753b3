import path from 'node:path';
import ignore, { type Ignore } from 'ignore';

// The workspace's .gitignore files as git applies them to untracked files: the local provider's changes() come from
// `git add -A`, so a file the agent creates under an ignored path (node_modules/, *.log) is not a change there, and
// must not be one here. Deeper .gitignore files override shallower ones; a file below an ignored directory stays
// ignored. The files are read from the session's merged view, so the agent's own edits to them count.

export class WorkspaceIgnores {
  private readonly rules = new Map<string, Promise<Ignore | null>>();

  constructor(private readonly read: (rel: string) => Promise<Buffer | null>) {}

  private rulesOf(dir: string): Promise<Ignore | null> {
    let found = this.rules.get(dir);
    if (!found) {
      found = this.read(dir ? `${dir}/.gitignore` : '.gitignore').then((b) => (b ? ignore().add(b.toString('utf8')) : null));
      this.rules.set(dir, found);
    }
    return found;
  }

  /** Is the untracked path `rel` (a directory when `isDir`) ignored? Its parent directories are taken as not ignored. */
  async ignored(rel: string, isDir: boolean): Promise<boolean> {
    const parts = rel.split('/');
    let verdict = false;
    for (let depth = 0; depth < parts.length; depth++) {
      const dir = parts.slice(0, depth).join('/');
      const rules = await this.rulesOf(dir);
      if (!rules) continue;
      const relToDir = path.posix.relative(dir || '.', rel) + (isDir ? '/' : '');
      const r = rules.test(relToDir);
      if (r.ignored) verdict = true;
      else if (r.unignored) verdict = false;
    }
    return verdict;
  }
}
