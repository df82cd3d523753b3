import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DockerSandbox } from '../../../src/sandbox/docker/sandbox';
import { materialiseCheckpoint } from '../../../src/sandbox/repo/checkpoint-git';
import type { Sandbox } from '../../../src/sandbox/types';
import { sandboxContainerId, tmpDir } from './helpers';

// A checkpoint's files against the container's, both as `path type x-bit link-or-sha256` lines: what git records (no
// other permission bits, no empty directories). The repositories of these tests ignore *.log and build/.

export type Ignored = (rel: string) => boolean;
export const IGNORED: Ignored = (p) => p.endsWith('.log') || p.startsWith('build/');

/** Run in the container through the engine (not a tool: no output limit, and the watch's own server is not involved). */
function inContainer(sb: Sandbox, script: string): string {
  return execFileSync('docker', ['exec', '-w', '/workspace', sandboxContainerId(sb), 'sh', '-c', script], { maxBuffer: 256 * 1024 * 1024 }).toString('utf8');
}

/** `path type x-bit link-or-sha256` of every file and symlink the container's /workspace has (.git and ignored left out). */
export async function containerFiles(sb: Sandbox, ignored: Ignored = IGNORED): Promise<string[]> {
  const listing = inContainer(sb, "find . -path ./.git -prune -o \\( -type f -o -type l \\) -printf '%y %m %P\\t%l\\n'");
  const sums = inContainer(sb, 'find . -path ./.git -prune -o -type f -print0 | xargs -0 -r sha256sum');
  const sha = new Map(sums.split('\n').filter(Boolean).map((l) => [l.slice(66).replace(/^\.\//, ''), l.slice(0, 64)]));
  return listing
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [head, link] = l.split('\t') as [string, string];
      const [type, mode, rel] = [head.slice(0, 1), head.slice(2, head.indexOf(' ', 2)), head.slice(head.indexOf(' ', 2) + 1)];
      const x = Number.parseInt(mode, 8) & 0o100 ? 'x' : '-';
      return `${rel} ${type} ${type === 'l' ? `- ${link}` : `${x} ${sha.get(rel)}`}`;
    })
    .filter((l) => !ignored(l.split(' ')[0] as string))
    .sort();
}

/** The same listing of a checkpoint, written out on the host. */
export async function checkpointFiles(sb: Sandbox): Promise<{ files: string[]; source: DockerSandbox['checkpointSource'] }> {
  const ref = await sb.checkpoint();
  const source = (sb as DockerSandbox).checkpointSource;
  const dir = tmpDir('ckpt-watch');
  await materialiseCheckpoint(ref, dir);
  const files: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      const abs = path.join(dir, child);
      if (e.isDirectory()) walk(child);
      else if (e.isSymbolicLink()) files.push(`${child} l - ${fs.readlinkSync(abs)}`);
      else files.push(`${child} f ${fs.statSync(abs).mode & 0o100 ? 'x' : '-'} ${createHash('sha256').update(fs.readFileSync(abs)).digest('hex')}`);
    }
  };
  walk('');
  return { files: files.sort(), source };
}

/** The checkpoint taken now holds exactly the container's files (`ignored` left out of the container's). */
export async function assertCheckpointExact(sb: Sandbox, step: string, ignored: Ignored = IGNORED): Promise<DockerSandbox['checkpointSource']> {
  const { files, source } = await checkpointFiles(sb);
  assert.deepEqual(files, await containerFiles(sb, ignored), `after ${step}: the checkpoint holds exactly the container's files`);
  return source;
}
