import path from 'node:path';

// Paths the panel shows come from the agent's view of the repository: relative, under the sandbox mount
// (/workspace/src/a.ts) or under the host repository. No vscode import: unit-tested in Node.

/** The repository-relative form of `p`, or null when it points outside every root (or is the root itself). */
export function repoRelative(p: string, roots: readonly string[]): string | null {
  let rel = p.replace(/\\/g, '/');
  if (path.posix.isAbsolute(rel)) {
    rel = path.posix.normalize(rel);
    const root = roots.map((r) => r.replace(/\\/g, '/').replace(/\/+$/, '')).find((r) => r !== '' && (rel === r || rel.startsWith(`${r}/`)));
    if (root === undefined) return null;
    rel = rel.slice(root.length);
  }
  const normal = path.posix.normalize(rel).replace(/^\/+/, '');
  if (normal === '' || normal === '.' || normal === '..' || normal.startsWith('../')) return null;
  return normal;
}
