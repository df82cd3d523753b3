// The files of the last checkpoint (path → git mode and blob id), as the in-container watch knows them
// (checkpoint-watch.ts), indexed by directory so that everything below a path that changed is found without going
// through every file: a directory removed or replaced by a file takes the files it held along.

export interface TrackedEntry {
  mode: string;
  sha: string;
}

export class TrackedFiles {
  private readonly files = new Map<string, TrackedEntry>();
  /** Directory ('' is the root) → names of the tracked files and directories directly in it. */
  private readonly children = new Map<string, Set<string>>();

  get(rel: string): TrackedEntry | undefined {
    return this.files.get(rel);
  }

  set(rel: string, entry: TrackedEntry): void {
    this.files.set(rel, entry);
    for (let child = rel; child !== ''; ) {
      const cut = child.lastIndexOf('/');
      const dir = cut < 0 ? '' : child.slice(0, cut);
      let names = this.children.get(dir);
      if (!names) this.children.set(dir, (names = new Set()));
      const name = child.slice(cut + 1);
      if (names.has(name)) break;
      names.add(name);
      child = dir;
    }
  }

  delete(rel: string): void {
    if (!this.files.delete(rel)) return;
    for (let child = rel; child !== ''; ) {
      const cut = child.lastIndexOf('/');
      const dir = cut < 0 ? '' : child.slice(0, cut);
      const names = this.children.get(dir);
      names?.delete(child.slice(cut + 1));
      if (names && names.size > 0) break;
      this.children.delete(dir);
      child = dir;
    }
  }

  /** Does any tracked file lie below the directory `dir`? */
  hasUnder(dir: string): boolean {
    return (this.children.get(dir)?.size ?? 0) > 0;
  }

  /** The tracked files below the directory `dir`. */
  under(dir: string): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const name of this.children.get(d) ?? []) {
        const child = d ? `${d}/${name}` : name;
        if (this.files.has(child)) out.push(child);
        else walk(child);
      }
    };
    walk(dir);
    return out;
  }

  paths(): IterableIterator<string> {
    return this.files.keys();
  }

  entries(): IterableIterator<[string, TrackedEntry]> {
    return this.files.entries();
  }
}
