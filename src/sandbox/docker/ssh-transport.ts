import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';

// An engine at ssh://[user@]host[:port] is reached as Docker's own CLI reaches it: this machine's `ssh` runs
// `docker system dial-stdio` on the far side, and the engine's API travels over that process' stdin/stdout. Using the
// ssh binary (not a JavaScript ssh client) means the user's ~/.ssh/config, keys, agent and known_hosts apply, and an
// unknown host key is refused as ssh refuses it. BatchMode: nothing may wait for a password no one is asked for.
// One ssh process per HTTP connection, as the CLI does; connections are kept alive, and a control master shares one
// ssh session between them, so a new connection (each attached exec needs one) costs a process, not a handshake.

export interface SshDestination {
  host: string;
  user?: string;
  port?: number;
}

/** ssh could not connect, log in, or run `docker system dial-stdio` there: its own words. */
export class SshTransportError extends Error {
  override readonly name = 'SshTransportError';
}

/** Where the control masters' sockets go: private to this user, and short (unix socket paths have ~100 bytes). */
function controlDir(): string {
  const dir = path.join(os.tmpdir(), `hangar-ssh-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/**
 * One control master per destination as given, not per endpoint (ssh's %C): two names for one host with other keys
 * or users in ~/.ssh/config must not share a login. Short, for the socket path limit.
 */
function controlPath(dest: SshDestination): string {
  const id = createHash('sha256').update(JSON.stringify([dest.user ?? '', dest.host, dest.port ?? ''])).digest('hex').slice(0, 16);
  return path.join(controlDir(), id);
}

export function sshArgs(dest: SshDestination): string[] {
  return [
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=10',
    '-o', 'ControlMaster=auto',
    '-o', `ControlPath=${controlPath(dest)}`,
    '-o', 'ControlPersist=60',
    '-T',
    ...(dest.user ? ['-l', dest.user] : []),
    ...(dest.port ? ['-p', String(dest.port)] : []),
    '--', dest.host,
    'docker', 'system', 'dial-stdio',
  ];
}

/** The last lines ssh wrote, without its warnings about adding hosts: what went wrong, in its words. */
function lastWords(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !/^Warning: Permanently added/.test(l));
  return lines.slice(-3).join(' ') || 'ssh exited without saying why';
}

/** One `ssh … docker system dial-stdio` process as the socket an HTTP request runs over. */
class SshStdioSocket extends Duplex {
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = '';
  private received = false;
  private stdoutEnded = false;
  timeout = 0;

  constructor(dest: SshDestination) {
    super({ allowHalfOpen: true });
    this.child = spawn('ssh', sshArgs(dest), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (c: Buffer) => (this.stderr = (this.stderr + c.toString('utf8')).slice(-4000)));
    this.child.stdout.on('data', (c: Buffer) => {
      this.received = true;
      if (!this.push(c)) this.child.stdout.pause();
    });
    this.child.stdout.on('end', () => (this.stdoutEnded = true));
    this.child.stdin.on('error', () => undefined);
    this.child.on('error', (err) => this.destroy(new SshTransportError(`cannot run ssh: ${err.message}`)));
    // 'exit', not 'close': a control master started by this process inherits its stderr and keeps it open.
    this.child.on('exit', (code) => {
      if (code !== 0 && !this.received) return this.destroy(new SshTransportError(lastWords(this.stderr)));
      const finish = () => this.push(null);
      if (this.stdoutEnded) finish();
      else this.child.stdout.once('end', finish);
    });
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.child.stdin.write(chunk, cb);
  }

  /** Half-close: the engine sees the end of the request body (a process' stdin) while its answer still flows. */
  override _final(cb: (err?: Error | null) => void): void {
    this.child.stdin.end(cb);
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    if (this.child.exitCode === null) this.child.kill();
    cb(err);
  }

  // What http.Agent and ClientRequest call on a socket; a pipe to a process has no TCP options.
  setKeepAlive(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setTimeout(ms: number): this {
    this.timeout = ms;
    return this;
  }
  /** An idle kept-alive connection does not keep this process running. */
  unref(): this {
    for (const h of [this.child, this.child.stdin, this.child.stdout, this.child.stderr]) (h as { unref?: () => void }).unref?.();
    return this;
  }
  ref(): this {
    for (const h of [this.child, this.child.stdin, this.child.stdout, this.child.stderr]) (h as { ref?: () => void }).ref?.();
    return this;
  }
}

/** An HTTP agent whose connections are ssh processes to `destination`; dockerode is given it with any host name. */
export class SshAgent extends http.Agent {
  constructor(readonly destination: SshDestination) {
    super({ keepAlive: true });
  }

  override createConnection(): Duplex {
    return new SshStdioSocket(this.destination);
  }
}
