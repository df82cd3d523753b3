import type { SessionEvent, StreamPreview } from '../../wire';
import type { RuntimeClient } from '../connection/runtime-client';

// The live previews (streaming text, a running command's output) of a session's sub-agent threads. Previews are
// scoped to a thread (the session's own subscription carries the primary thread's), so the panel follows each
// sub-thread too, for its previews only, from the moment its session.thread_created is seen: in-process through the
// runtime's subscriptions, over a detached runtime through the thread's event stream.

export class ThreadPreviews {
  private readonly followed = new Map<string, Promise<() => void>>();
  private disposed = false;

  constructor(
    private readonly client: Pick<RuntimeClient, 'followThreadPreviews'>,
    private readonly sessionId: string,
    private readonly onPreview: (p: StreamPreview, thread: string) => void,
  ) {}

  /** Follows every sub-thread these events create that is not followed yet. */
  follow(events: readonly SessionEvent[]): void {
    for (const e of events) {
      if (e.type !== 'session.thread_created' || this.disposed || this.followed.has(e.session_thread_id)) continue;
      const thread = e.session_thread_id;
      const off = this.client.followThreadPreviews(this.sessionId, thread, (p) => this.onPreview(p, thread));
      off.catch(() => this.followed.delete(thread));
      this.followed.set(thread, off);
    }
  }

  dispose(): void {
    this.disposed = true;
    for (const off of this.followed.values()) void off.then((stop) => stop(), () => undefined);
    this.followed.clear();
  }
}
