import path from 'node:path';

/** A repository path as listings and changes() carry it: relative, '/'-separated, never into a .git directory. */
export function isRepoPath(rel: string): boolean {
  const parts = rel.split('/');
  return !path.isAbsolute(rel) && !rel.includes('\0') && parts.every((p) => p !== '' && p !== '.' && p !== '..' && p !== '.git');
}

export function checkRepoPath(rel: string): void {
  if (!isRepoPath(rel)) throw new Error(`invalid repository path ${JSON.stringify(rel)}: expected a relative path inside the workspace`);
}
