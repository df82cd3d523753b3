import { lstat, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { glob } from 'tinyglobby';
import type { ToolOutcome } from '../wire/tool-outcome';
import { capHead, textOutcome, ToolFailure } from './output';
import { fsErrorText, isWithin, resolveInRoot } from './paths';
import type { GlobInput } from './schemas';

export const GLOB_MAX_RESULTS = 1000;
const NOISY_DIRS = ['.git', 'node_modules'];

function segments(pattern: string): string[] {
  return pattern.split(/[\\/{},]/);
}

export async function runGlob(root: string, input: GlobInput, maxOutputChars: number, signal?: AbortSignal): Promise<ToolOutcome> {
  const { pattern } = input;
  if (path.isAbsolute(pattern)) {
    throw new ToolFailure('pattern must be relative (e.g. "**/*.ts"); give the directory to search as path');
  }
  if (segments(pattern).includes('..')) throw new ToolFailure('".." is not allowed in the pattern; give the directory to search as path');
  const base = await resolveInRoot(root, input.path ?? '.');
  const st = await stat(base.abs).catch((err: unknown) => {
    throw new ToolFailure(fsErrorText(err, base.rel));
  });
  if (!st.isDirectory()) throw new ToolFailure(`${base.rel} is not a directory; path must name the directory to search in`);

  const named = new Set(segments(pattern));
  const ignore = NOISY_DIRS.filter((dir) => !named.has(dir)).map((dir) => `**/${dir}/**`);
  let found: string[];
  try {
    // Links are not followed: a linked directory could lead anywhere on the host.
    found = await glob(pattern, { cwd: base.abs, absolute: true, dot: true, onlyFiles: true, followSymbolicLinks: false, expandDirectories: false, ignore, signal });
  } catch (err) {
    if (signal?.aborted) throw new ToolFailure('glob was aborted');
    throw new ToolFailure(`glob failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const realRoot = await realpath(root);
  const entries: { rel: string; mtime: number }[] = [];
  for (const file of found) {
    if (!isWithin(realRoot, file)) continue;
    const info = await lstat(file).catch(() => null);
    if (!info?.isFile()) continue;
    entries.push({ rel: path.relative(realRoot, file), mtime: info.mtimeMs });
  }
  if (entries.length === 0) return textOutcome(`No files match ${JSON.stringify(pattern)} under ${base.rel}.`);
  entries.sort((a, b) => b.mtime - a.mtime || (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  const shown = entries.slice(0, GLOB_MAX_RESULTS).map((e) => e.rel);
  if (entries.length > GLOB_MAX_RESULTS) {
    shown.push(`[showing the ${GLOB_MAX_RESULTS} newest of ${entries.length} matches; narrow the pattern or path]`);
  }
  return textOutcome(capHead(shown.join('\n'), maxOutputChars, 'narrow the pattern or path'));
}
