import { spawn } from 'node:child_process';

// Which upper directories of an overlay are opaque (a directory removed and made again: the lower one's content is
// hidden). Overlayfs records that only in an extended attribute and Node has no xattr API, so one short python3 run
// reads them for a whole batch. Opaque directories are rare (`rm -rf d && mkdir d`), and only directories that also
// exist in the lower layer are ever asked about.

const PY = [
  'import os, sys',
  'for p in sys.stdin.buffer.read().split(b"\\0"):',
  '    if not p: continue',
  '    for name in ("user.overlay.opaque", "trusted.overlay.opaque"):',
  '        try:',
  '            if os.getxattr(p, name) == b"y":',
  '                sys.stdout.buffer.write(p + b"\\0"); break',
  '        except OSError: pass',
].join('\n');

function run(cmd: string, args: string[], input: Buffer): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    const out: Buffer[] = [];
    proc.stdout.on('data', (c: Buffer) => out.push(c));
    proc.on('error', () => resolve(null));
    proc.on('close', (code) => resolve(code === 0 ? Buffer.concat(out) : null));
    proc.stdin.on('error', () => undefined);
    proc.stdin.end(input);
  });
}

/**
 * The subset of `dirs` (absolute host paths) that are opaque overlay directories. Without python3 on the host the
 * answer is "none": a directory removed and re-created then shows only its new files as changes, not the deletions.
 */
export async function opaqueDirs(dirs: readonly string[]): Promise<Set<string>> {
  if (dirs.length === 0) return new Set();
  const out = await run('python3', ['-c', PY], Buffer.from(dirs.map((d) => `${d}\0`).join('')));
  return new Set(out ? out.toString('utf8').split('\0').filter(Boolean) : []);
}
