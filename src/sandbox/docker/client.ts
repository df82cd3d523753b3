import Dockerode from 'dockerode';
import type { Socket } from 'node:net';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import { resolveEngine, type EngineTarget } from './engine';
import { DockerSshError, DockerTlsError, DockerUnavailableError, classifyEngineError, tlsProblem } from './errors';
import { SshTransportError } from './ssh-transport';

// The engine connection plus the two exec shapes the provider needs: a one-shot command with collected output,
// and a long-lived attached process (the tool server, as an exec or the container's main process) as a stdin writer
// plus demultiplexed stdout/stderr.

export type Docker = Dockerode;
export type Container = Dockerode.Container;

export interface ConnectOptions {
  /** The engine; default: Docker's own resolution (DOCKER_HOST, DOCKER_CONTEXT, the current context, the local socket). */
  target?: EngineTarget;
  /** How long the first ping may take before the engine counts as absent. */
  pingTimeoutMs?: number;
}

export async function connectDocker(options: ConnectOptions = {}): Promise<Docker> {
  const target = options.target ?? resolveEngine();
  const docker = new Dockerode(target.options);
  const timeoutMs = options.pingTimeoutMs ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new DockerUnavailableError(`no answer within ${timeoutMs} ms`, target)), timeoutMs);
      }),
    ]);
  } catch (err) {
    if (err instanceof DockerUnavailableError) throw err;
    if (err instanceof SshTransportError) throw new DockerSshError(err.message, target);
    const tls = tlsProblem(err);
    if (tls) throw new DockerTlsError(tls, target);
    const classified = classifyEngineError(err);
    throw new DockerUnavailableError(classified instanceof DockerUnavailableError ? classified.detail : classified.message, target);
  } finally {
    clearTimeout(timer);
  }
  return docker;
}

export interface ExecSpec {
  cmd: string[];
  user?: string;
  env?: string[];
  workdir?: string;
  /** Written to the process' stdin, which is then closed. */
  stdin?: Buffer | string;
  signal?: AbortSignal;
  /** Sees stdout as it arrives (it is still collected whole). */
  onStdout?: (chunk: Buffer) => void;
}

export interface ExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

export interface AttachedProcess {
  stdin: Duplex;
  stdout: Readable;
  stderr: Readable;
  /** Resolves when the attached stream closes (the process exited or the connection died). */
  closed: Promise<void>;
  /** Exit code from the engine once the process has exited; null while it runs. */
  exitCode(): Promise<number | null>;
}

/** Starts a process in the container with stdin/stdout/stderr attached over one hijacked connection. */
export async function attachExec(container: Container, spec: Omit<ExecSpec, 'stdin' | 'signal'>): Promise<AttachedProcess> {
  const exec = await container.exec({
    Cmd: spec.cmd,
    User: spec.user,
    Env: spec.env,
    WorkingDir: spec.workdir,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: false })) as Duplex;
  return attachedStreams(container, stream, async () => {
    const info = await exec.inspect();
    return info.Running ? null : (info.ExitCode ?? null);
  });
}

/**
 * A container's main process with stdin/stdout/stderr attached (created with OpenStdin): attached before the start,
 * nothing it prints is missed. Its exit code is the container's business (null here).
 */
export async function attachMain(container: Container): Promise<AttachedProcess> {
  const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
  return attachedStreams(container, stream, async () => null);
}

/** A hijacked, multiplexed (no TTY) stream as stdin plus demultiplexed stdout/stderr. */
function attachedStreams(container: Container, stream: Duplex, exitCode: () => Promise<number | null>): AttachedProcess {
  // Over tcp (a remote engine) the stream is a socket: a small write (a tool request, a tunnelled request head) must
  // not wait for the ACK of the one before it (Nagle): that cost the egress tunnel ~40 ms a request.
  (stream as Partial<Socket>).setNoDelay?.(true);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  container.modem.demuxStream(stream, stdout, stderr);
  const closed = new Promise<void>((resolve) => {
    const done = () => {
      stdout.end();
      stderr.end();
      resolve();
    };
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
  });
  return { stdin: stream, stdout, stderr, closed, exitCode };
}

/** Runs a command to completion and collects its output. */
export async function execCollect(container: Container, spec: ExecSpec): Promise<ExecResult> {
  const proc = await attachExec(container, spec);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  proc.stdout.on('data', (c: Buffer) => {
    out.push(c);
    spec.onStdout?.(c);
  });
  proc.stderr.on('data', (c: Buffer) => err.push(c));
  const onAbort = () => proc.stdin.destroy();
  spec.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (spec.stdin !== undefined) proc.stdin.write(spec.stdin);
    // Half-close so the process sees EOF on stdin while its output keeps flowing back.
    (proc.stdin as Duplex & { end(): void }).end();
    await proc.closed;
  } finally {
    spec.signal?.removeEventListener('abort', onAbort);
  }
  const exitCode = await waitExitCode(proc);
  return { exitCode, stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

/** The exit code once the engine has it (-1 when it never reports one). */
export async function waitExitCode(proc: AttachedProcess): Promise<number> {
  // The stream can close a moment before the engine records the exit.
  for (let i = 0; i < 50; i++) {
    const code = await proc.exitCode();
    if (code !== null) return code;
    await new Promise((r) => setTimeout(r, 10));
  }
  return -1;
}
