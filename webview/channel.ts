import { parseWebviewMessage } from '../src/protocol/panel';
import type { PanelRequest, ReplyMessage } from '../src/protocol/panel';
import type { VsCodeApi } from './ui/state';

export type Outcome = { ok: true } | { ok: false; error: string };

// The webview's requests to the host: each gets an id, is validated against the protocol, and settles when the
// host's reply with that id arrives. Ids carry a per-instance prefix, so a reply meant for a webview that was torn
// down and re-created (hidden panel, window reload) never settles a request of the new one.
export class HostChannel {
  private readonly prefix = Math.random().toString(36).slice(2, 10);
  private next = 0;
  private readonly waiting = new Map<string, (outcome: Outcome) => void>();

  constructor(private readonly api: VsCodeApi) {}

  request(body: PanelRequest): Promise<Outcome> {
    const checked = parseWebviewMessage({ ...body, id: `${this.prefix}-${++this.next}` });
    if (!checked.ok) return Promise.resolve({ ok: false, error: checked.error });
    const message = checked.value;
    return new Promise((resolve) => {
      this.waiting.set(message.id, resolve);
      this.api.postMessage(message);
    });
  }

  /** Settles the request the reply answers; false when no request of this webview has its id. */
  settle(reply: ReplyMessage): boolean {
    const resolve = this.waiting.get(reply.id);
    if (!resolve) return false;
    this.waiting.delete(reply.id);
    resolve(reply.ok ? { ok: true } : { ok: false, error: reply.error });
    return true;
  }

  /** Requests still waiting for their reply. */
  get inFlight(): number {
    return this.waiting.size;
  }
}
