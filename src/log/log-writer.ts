import fs from 'node:fs';
import { LogError, LogFailedError } from './errors';

/** The two syscalls the writer needs; injectable so tests can make them fail. */
export interface LogIo {
  write(fd: number, buf: Buffer, offset: number, length: number): Promise<number>;
  fdatasync(fd: number): Promise<void>;
}

export const nodeLogIo: LogIo = {
  write: (fd, buf, offset, length) =>
    new Promise((resolve, reject) => fs.write(fd, buf, offset, length, null, (err, n) => (err ? reject(err) : resolve(n)))),
  fdatasync: (fd) => new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve()))),
};

interface Pending {
  bytes: Buffer;
  durable: boolean;
  onCommit: () => void;
  resolve: () => void;
  reject: (err: Error) => void;
}

export interface WriterStats {
  writes: number;
  syncs: number;
}

/**
 * Serialises appends to one fd in submission order. Everything queued while a write or fdatasync is in flight goes
 * out as one write followed by at most one fdatasync (group commit). Any write or sync error is fatal: the pages
 * the kernel failed to flush may already be dropped, so retrying the sync could report success for lost data
 * ("Can Applications Recover from fsync Failures?", ATC'20). This and every later submission is rejected.
 */
export class GroupCommitWriter {
  readonly stats: WriterStats = { writes: 0, syncs: 0 };
  private queue: Pending[] = [];
  private running: Promise<void> | null = null;
  private failure: Error | null = null;

  constructor(
    private readonly fd: number,
    private readonly io: LogIo,
    /** Throws when writing is no longer allowed (e.g. the lease was lost); checked before each write. */
    private readonly guard: () => void,
  ) {}

  get failed(): Error | null {
    return this.failure;
  }

  /** Makes the writer refuse everything from now on with `err`. */
  fail(err: Error): void {
    this.failure ??= err;
  }

  /** Resolves after the bytes are written (and synced when durable) and `onCommit` ran, in submission order. */
  submit(bytes: Buffer, durable: boolean, onCommit: () => void): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes, durable, onCommit, resolve, reject });
      this.schedule();
    });
  }

  /** Waits until everything submitted so far has been committed or rejected. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private schedule(): void {
    if (this.running) return;
    // Start on a microtask so appends issued in the same tick share one write and one sync.
    this.running = Promise.resolve()
      .then(() => this.drain())
      .finally(() => {
        this.running = null;
        if (this.queue.length > 0) this.schedule();
      });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        if (this.failure) throw this.failure;
        this.guard();
        await this.writeAll(batch.length === 1 ? batch[0]!.bytes : Buffer.concat(batch.map((p) => p.bytes)));
        if (batch.some((p) => p.durable)) {
          await this.io.fdatasync(this.fd);
          this.stats.syncs++;
        }
      } catch (err) {
        this.fail(err instanceof LogError ? err : new LogFailedError(`session log write failed: ${String(err)}`, { cause: err }));
        for (const p of batch) p.reject(this.failure!);
        continue;
      }
      for (const p of batch) {
        p.onCommit();
        p.resolve();
      }
    }
  }

  private async writeAll(buf: Buffer): Promise<void> {
    let offset = 0;
    while (offset < buf.length) {
      const n = await this.io.write(this.fd, buf, offset, buf.length - offset);
      if (n <= 0) throw new Error('write made no progress');
      offset += n;
    }
    this.stats.writes++;
  }
}
