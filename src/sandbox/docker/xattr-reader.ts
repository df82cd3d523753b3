import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

// Overlayfs's opaque-directory attribute, read by a python3 process (Node has no xattr API) that is started once and
// kept, answering one batch per request: a python3 start per checkpoint cost ~30 ms on an idle machine and 300-600 ms
// on a loaded one. It is unref'd, so it never holds the host process open, and it ends with it (its stdin closes).
//
// A request is a byte-count line, then that many bytes: paths, each ending in NUL. The answer is a line holding one
// '1' (opaque) or '0' per path.

const PY = [
  'import os, sys',
  'inp, out = sys.stdin.buffer, sys.stdout.buffer',
  'def opaque(p):',
  '    for name in ("user.overlay.opaque", "trusted.overlay.opaque"):',
  '        try:',
  '            if os.getxattr(p, name) == b"y": return True',
  '        except OSError: pass',
  '    return False',
  'while True:',
  '    n = inp.readline()',
  '    if not n: break',
  '    paths = inp.read(int(n)).split(b"\\0")[:-1]',
  '    out.write(b"".join(b"1" if opaque(p) else b"0" for p in paths) + b"\\n")',
  '    out.flush()',
].join('\n');

type Refable = { ref?: () => void; unref?: () => void };
type Python = ChildProcessByStdio<Writable, Readable, null>;

class OpaqueReader {
  private proc: Python | null = null;
  /** python3 could not be started: every answer is null from now on. */
  private missing = false;
  private queue: Promise<unknown> = Promise.resolve();
  private buffered = '';
  private waiting: ((line: string | null) => void) | null = null;

  private start(): Python | null {
    if (this.proc || this.missing) return this.proc;
    const proc = spawn('python3', ['-c', PY], { stdio: ['pipe', 'pipe', 'ignore'] });
    const gone = () => {
      if (this.proc === proc) this.proc = null;
      this.buffered = '';
      this.waiting?.(null);
    };
    proc.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') this.missing = true;
      gone();
    });
    proc.on('close', gone);
    proc.stdin.on('error', () => undefined);
    proc.stdout.on('data', (c: Buffer) => {
      this.buffered += c.toString('latin1');
      const eol = this.buffered.indexOf('\n');
      if (eol < 0) return;
      const line = this.buffered.slice(0, eol);
      this.buffered = this.buffered.slice(eol + 1);
      this.waiting?.(line);
    });
    this.hold(proc, false);
    return (this.proc = proc);
  }

  /** Holds the host process open while an answer is awaited, and only then. */
  private hold(proc: Python, on: boolean): void {
    for (const handle of [proc, proc.stdin, proc.stdout] as unknown as Refable[]) (on ? handle.ref : handle.unref)?.call(handle);
  }

  /** Which of `dirs` (absolute paths) are opaque, in order; null when python3 could not tell. */
  ask(dirs: readonly string[]): Promise<boolean[] | null> {
    const next = this.queue.then(() => this.askNow(dirs));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private askNow(dirs: readonly string[]): Promise<boolean[] | null> {
    const proc = this.start();
    if (!proc) return Promise.resolve(null);
    const body = Buffer.from(dirs.map((d) => `${d}\0`).join(''), 'utf8');
    return new Promise((resolve) => {
      this.hold(proc, true);
      this.waiting = (line) => {
        this.waiting = null;
        this.hold(proc, false);
        resolve(line !== null && line.length === dirs.length ? [...line].map((c) => c === '1') : null);
      };
      proc.stdin.write(Buffer.concat([Buffer.from(`${body.length}\n`), body]));
    });
  }
}

export const opaqueReader = new OpaqueReader();
