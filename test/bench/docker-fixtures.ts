// What the Docker benchmarks share: a generated repository, and the plain tar copy into a fresh hardened container
// that copy mode is measured against.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import type { Container, Docker } from '../../src/sandbox/docker/client';
import { createAndStart, removeContainer } from '../../src/sandbox/docker/container';
import { labels } from '../../src/sandbox/docker/names';
import { DEFAULT_IMAGE } from '../../src/sandbox/docker/plan';
import { removeVolume } from '../../src/sandbox/docker/volume';
import type { SandboxLimits } from '../../src/wire/environment';

/** A git repository of `n` source-like files (~2 KB each) in 50 × 7 directories, under `parent`. */
export function generateRepo(parent: string, n: number): string {
  const dir = path.join(parent, `repo-${n}`);
  const body = `${'export const value = 42;\n'.repeat(80)}`;
  for (let i = 0; i < n; i++) {
    const d = path.join(dir, `pkg${i % 50}`, `mod${i % 7}`);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, `file${i}.ts`), `// file ${i}\n${body}`);
  }
  const git = (...a: string[]) => execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', ...a], { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'bench');
  // Let every file age past the snapshot's racy window, as a repository does between edits.
  execFileSync('sleep', ['2.2']);
  return dir;
}

export function listFiles(dir: string): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: dir, maxBuffer: 1 << 30 }).toString().split('\0').filter(Boolean);
}

let seq = 0;

/** The baseline: create+start a hardened container on a fresh volume, then stream the files in as one tar. Returns the cleanup. */
export async function tarCopyReady(docker: Docker, labelRoot: string, repo: string, files: string[], limits: SandboxLimits): Promise<() => Promise<void>> {
  const id = `tarbase${seq++}`;
  const volume = `hangar-bench-${process.pid}-${id}`;
  const container: Container = await createAndStart(docker, {
    name: `hangar-bench-${process.pid}-${id}`,
    image: DEFAULT_IMAGE,
    user: 'agent',
    env: [],
    labels: labels(labelRoot, id, id),
    volume,
    limits,
    networkMode: 'none',
  });
  const archive = pack();
  const feed = (async () => {
    const dirs = new Set<string>();
    for (const f of files) for (let d = path.posix.dirname(f); d !== '.'; d = path.posix.dirname(d)) dirs.add(d);
    for (const d of [...dirs].sort()) archive.entry({ name: `${d}/`, type: 'directory', mode: 0o755, uid: 1000, gid: 1000 });
    for (const f of files) {
      const content = fs.readFileSync(path.join(repo, f));
      await new Promise<void>((resolve, reject) => archive.entry({ name: f, size: content.length, mode: 0o644, uid: 1000, gid: 1000 }, content, (e) => (e ? reject(e) : resolve())));
    }
    archive.finalize();
  })();
  await container.putArchive(Readable.from(archive), { path: '/workspace' });
  await feed;
  return async () => {
    await removeContainer(docker, container.id);
    await removeVolume(docker, volume);
  };
}
