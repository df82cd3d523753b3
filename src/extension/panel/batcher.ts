import type { HostMessage } from '../../protocol/panel';
import type { ModelPricing, SessionEvent, StreamPreview } from '../../wire';
import { panelEvents } from './panel-events';

// Coalesces what a live session produces into few postMessage calls: events are sent in batches (a burst of 10,000
// events becomes 20 messages, not 10,000), consecutive text deltas of one streaming block merge into one preview, and
// a running tool's newer output preview replaces the one still queued.
// Order is kept: a preview never overtakes the events queued before it. No vscode import: unit-tested in Node.

export interface BatcherOptions {
  /** Events per `events` message; a full batch is sent at once. */
  maxEvents?: number;
  /** How long a partial batch waits for company. */
  delayMs?: number;
}

type Item = { kind: 'events'; events: SessionEvent[] } | { kind: 'preview'; preview: StreamPreview; thread?: string };

export class MessageBatcher {
  private queue: Item[] = [];
  private queuedEvents = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly maxEvents: number;
  private readonly delayMs: number;

  constructor(
    private readonly post: (message: HostMessage) => void,
    /** A model's pricing in the catalogue in effect, for the sub-agents' model requests among the events. */
    private readonly priced: (model: string) => ModelPricing,
    private readonly onFlushed: (events: readonly SessionEvent[]) => void = () => undefined,
    options: BatcherOptions = {},
  ) {
    this.maxEvents = options.maxEvents ?? 500;
    this.delayMs = options.delayMs ?? 40;
  }

  event(e: SessionEvent): void {
    const last = this.queue.at(-1);
    if (last?.kind === 'events') last.events.push(e);
    else this.queue.push({ kind: 'events', events: [e] });
    this.queuedEvents += 1;
    if (this.queuedEvents >= this.maxEvents) this.flush();
    else this.schedule();
  }

  /** `thread`: the sub-agent thread whose preview it is (absent: the primary thread's). */
  preview(p: StreamPreview, thread?: string): void {
    const last = this.queue.at(-1);
    // A running tool's output preview is a snapshot: a newer one replaces the one still queued.
    if (p.type === 'tool_output' && last?.kind === 'preview' && last.preview.type === 'tool_output' && last.preview.tool_use_id === p.tool_use_id) {
      last.preview = p;
      return this.schedule();
    }
    if (p.type === 'event_delta' && last?.kind === 'preview' && last.preview.type === 'event_delta') {
      const prev = last.preview;
      if (prev.event_id === p.event_id && prev.delta.index === p.delta.index) {
        last.preview = { ...prev, delta: { ...prev.delta, content: { ...prev.delta.content, text: prev.delta.content.text + p.delta.content.text } } };
        return this.schedule();
      }
    }
    this.queue.push({ kind: 'preview', preview: p, ...(thread ? { thread } : {}) });
    this.schedule();
  }

  /** Sends everything queued now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const items = this.queue;
    this.queue = [];
    this.queuedEvents = 0;
    const sent: SessionEvent[] = [];
    for (const item of items) {
      if (item.kind === 'preview') {
        this.post({ type: 'preview', preview: item.preview, ...(item.thread ? { thread: item.thread } : {}) });
        continue;
      }
      for (let i = 0; i < item.events.length; i += this.maxEvents) {
        const chunk = item.events.slice(i, i + this.maxEvents);
        this.post({ type: 'events', ...panelEvents(chunk, this.priced) });
        sent.push(...chunk);
      }
    }
    if (sent.length > 0) this.onFlushed(sent);
  }

  /** Drops whatever is queued (the webview went away; it gets the whole log again on its next `ready`). */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
    this.queuedEvents = 0;
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }
}
