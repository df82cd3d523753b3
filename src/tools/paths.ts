import { lstat, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { ToolFailure } from './output';

// Confinement of the file tools to the workspace root (peers-runtime.md §6.3): compare real paths on component
// boundaries, resolve every symlink (a dangling leaf included) before the check, and operate on the resolved path
// so a link can neither pass the check nor be followed afterwards.

const MAX_SYMLINK_HOPS = 40; // Linux MAXSYMLINKS

export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True when `p` is `root` or below it, compared on path-component boundaries (no `/root-evil` prefix bug). */
export function isWithin(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** A directory `abs` lies in, and its physical path: the walk starts there instead of at the root. */
export interface KnownPrefix {
  lexical: string;
  real: string;
}

/**
 * The physical path `abs` names, walking it one component at a time: a symlink is replaced by its target (its
 * `..` resolved against the physical parent), and the part below the first missing component is appended as is,
 * since nothing below a missing directory can be a link. From `known` when given (a file tool's workspace root: one
 * lstat per component below it instead of one per component from /, each a trip through libuv's thread pool).
 * Throws errno errors (ELOOP, EACCES).
 */
export async function canonicalize(abs: string, known?: KnownPrefix): Promise<string> {
  const pending = (known ? path.relative(known.lexical, abs) : abs).split(path.sep).filter(Boolean).reverse();
  let current = known ? known.real : path.parse(abs).root;
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.pop() as string;
    if (part === '.') continue;
    if (part === '..') {
      current = path.dirname(current);
      continue;
    }
    const candidate = path.join(current, part);
    let isLink: boolean;
    try {
      isLink = (await lstat(candidate)).isSymbolicLink();
    } catch (err) {
      const code = errnoCode(err);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      return path.resolve(candidate, ...pending.reverse());
    }
    if (!isLink) {
      current = candidate;
      continue;
    }
    if (++hops > MAX_SYMLINK_HOPS) throw Object.assign(new Error('too many levels of symbolic links'), { code: 'ELOOP' });
    const target = await readlink(candidate);
    if (path.isAbsolute(target)) current = path.parse(target).root;
    pending.push(...target.split(path.sep).filter(Boolean).reverse());
  }
  return current;
}

export interface ResolvedPath {
  /** Physical absolute path to operate on. */
  abs: string;
  /** Relative to the workspace root, '.' for the root itself; what messages show. */
  rel: string;
}

export function fsErrorText(err: unknown, shown: string): string {
  switch (errnoCode(err)) {
    case 'ENOENT':
      return `${shown}: no such file or directory`;
    case 'EACCES':
    case 'EPERM':
      return `${shown}: permission denied`;
    case 'ENOTDIR':
      return `${shown}: a component of the path is not a directory`;
    case 'EISDIR':
      return `${shown}: is a directory`;
    case 'ELOOP':
      return `${shown}: too many levels of symbolic links`;
    case 'ENAMETOOLONG':
      return `${shown}: file name too long`;
    case 'ENOSPC':
      return `${shown}: no space left on device`;
    default:
      return `${shown}: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Like resolveInRoot, but an absolute path under one of `readOnly` resolves (and must stay) inside that directory. */
export async function resolveReadable(root: string, readOnly: readonly string[], input: string): Promise<ResolvedPath> {
  const other = path.isAbsolute(input) ? readOnly.find((r) => isWithin(path.resolve(r), path.resolve(input))) : undefined;
  if (other === undefined) return resolveInRoot(root, input);
  const { abs } = await resolveInRoot(other, input);
  return { abs, rel: input };
}

/** Resolves a tool's path argument inside `root`; anything that ends up outside is refused with a ToolFailure. */
export async function resolveInRoot(root: string, input: string): Promise<ResolvedPath> {
  if (input.includes('\0')) throw new ToolFailure(`path ${JSON.stringify(input)} contains a NUL byte`);
  const realRoot = await realpath(root);
  const lexicalRoot = path.resolve(root);
  const lexical = path.resolve(root, input);
  const hint = 'use a path relative to the workspace root, or an absolute path inside it';
  const underRoot = isWithin(lexicalRoot, lexical);
  if (!underRoot && !isWithin(realRoot, lexical)) {
    throw new ToolFailure(`path ${JSON.stringify(input)} is outside the workspace root (${root}); ${hint}`);
  }
  let abs: string;
  try {
    abs = await canonicalize(lexical, { lexical: underRoot ? lexicalRoot : realRoot, real: realRoot });
  } catch (err) {
    throw new ToolFailure(fsErrorText(err, JSON.stringify(input)));
  }
  if (!isWithin(realRoot, abs)) {
    throw new ToolFailure(
      `path ${JSON.stringify(input)} goes through a symbolic link to ${abs}, which is outside the workspace root; ` +
        'file tools only work inside the root',
    );
  }
  return { abs, rel: path.relative(realRoot, abs) || '.' };
}
