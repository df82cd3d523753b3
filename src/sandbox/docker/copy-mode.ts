import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { attributesText, BASELINE_REF } from '../repo/diff';
import { listRepository } from '../repo/listing';
import { isRepoPath } from '../repo/paths';
import { execCollect, type Container } from './client';
import { WORKSPACE } from './container';
import type { Owner } from './snapshot';

// Copy mode, for engines that cannot mount a host-path overlay (Docker Desktop's VM, rootless or remote engines):
// the repository is streamed as tar into a plain named volume. The baseline changes() and review use is recorded on
// the host afterwards (copy-baseline.ts), which also replaces the .git made here by the agent's clone.

const GIT = ['git', '-c', 'core.quotePath=false', '-c', 'core.autocrlf=false', '-c', 'core.fsmonitor=false', '-c', 'user.name=Hangar', '-c', 'user.email=hangar@localhost'];
// Hangar's own index (the agent may move .git/index): its stat cache makes `git add -A` hash only changed files.
const INDEX_ENV = ['GIT_INDEX_FILE=.git/hangar-index'];

/** Streams the repository's files into /workspace, owned by the sandbox user. Returns the number of files. */
export async function seedWorkspace(container: Container, repoPath: string, owner: Owner, onProgress?: (m: string) => void): Promise<number> {
  const { files } = await listRepository(repoPath);
  const archive = pack();
  const written = (async () => {
    let n = 0;
    // Directories first and explicitly: ones the engine makes on its own would belong to root.
    const dirs = new Set<string>();
    for (const rel of files) for (let d = path.posix.dirname(rel); d !== '.'; d = path.posix.dirname(d)) dirs.add(d);
    for (const d of [...dirs].sort()) archive.entry({ name: `${d}/`, type: 'directory', mode: 0o755, uid: owner.uid, gid: owner.gid });
    for (const rel of files) {
      if (!isRepoPath(rel)) continue;
      const abs = path.join(repoPath, rel);
      const st = fs.lstatSync(abs);
      const base = { name: rel, mode: st.mode & 0o777, mtime: st.mtime, uid: owner.uid, gid: owner.gid };
      if (st.isSymbolicLink()) archive.entry({ ...base, type: 'symlink', linkname: fs.readlinkSync(abs) });
      else if (st.isFile()) await new Promise<void>((resolve, reject) => archive.entry({ ...base, size: st.size }, fs.readFileSync(abs), (e) => (e ? reject(e) : resolve())));
      else continue;
      if (++n % 1000 === 0) onProgress?.(`Copying the repository into the sandbox: ${n} of ${files.length} files`);
    }
    archive.finalize();
    return n;
  })();
  await container.putArchive(Readable.from(archive), { path: WORKSPACE });
  return written;
}

async function git(container: Container, user: string, args: string[], env: string[] = []): Promise<Buffer> {
  const r = await execCollect(container, { cmd: [...GIT, ...args], user, workdir: WORKSPACE, env: ['GIT_CONFIG_NOSYSTEM=1', 'GIT_CONFIG_GLOBAL=/dev/null', 'LC_ALL=C', ...env] });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(' ')} failed in the sandbox (exit ${r.exitCode}): ${r.stderr.toString('utf8').trim()}`);
  return r.stdout;
}

async function writeAttributes(container: Container, user: string, binaryPaths: readonly string[]): Promise<void> {
  const r = await execCollect(container, { cmd: ['sh', '-c', 'mkdir -p .git/info && cat > .git/info/attributes'], user, workdir: WORKSPACE, stdin: attributesText(binaryPaths) });
  if (r.exitCode !== 0) throw new Error(`writing the baseline attributes failed: ${r.stderr.toString('utf8')}`);
}

export async function createBaseline(container: Container, user: string): Promise<void> {
  await git(container, user, ['init', '-q']);
  await writeAttributes(container, user, []);
  await git(container, user, ['add', '-A', '-f', '.']);
  await git(container, user, ['commit', '-q', '--no-verify', '--allow-empty', '-m', 'Baseline (the repository as the session started)']);
  await git(container, user, ['update-ref', BASELINE_REF, 'HEAD']);
  await git(container, user, ['read-tree', BASELINE_REF], INDEX_ENV);
}
