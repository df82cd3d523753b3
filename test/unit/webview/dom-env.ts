import { JSDOM } from 'jsdom';
import { PanelApp } from '../../../webview/app';
import type { HostMessage, PanelRequest, WebviewMessage } from '../../../src/protocol/panel';
import type { VsCodeApi } from '../../../webview/ui/state';

// The panel in a jsdom page with a fake VS Code API that records what the webview posts and stores.
export interface Mounted {
  window: JSDOM['window'];
  doc: Document;
  app: PanelApp;
  /** What the webview asked, without the request ids. */
  posted: PanelRequest[];
  /** The requests as posted, ids included. */
  requests: WebviewMessage[];
  state(): unknown;
  send(msg: HostMessage): void;
  /** Answers the latest request as the host would: ok, or refused with `error`; then lets the webview react. */
  reply(error?: string): Promise<void>;
  $(selector: string): HTMLElement;
  $$(selector: string): HTMLElement[];
  close(): void;
}

export function mountPanel(initialState?: unknown, now = () => Date.parse('2026-01-05T10:10:00.000Z')): Mounted {
  const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
  const doc = dom.window.document;
  const posted: PanelRequest[] = [];
  const requests: WebviewMessage[] = [];
  let state = initialState;
  const api: VsCodeApi = {
    postMessage: (m) => {
      const { id: _id, ...body } = m as WebviewMessage;
      requests.push(m as WebviewMessage);
      posted.push(body as PanelRequest);
    },
    getState: () => state,
    setState: (s) => (state = s),
  };
  const app = new PanelApp(doc, api, now);
  app.start();
  const $ = (selector: string) => {
    const el = doc.querySelector<HTMLElement>(selector);
    if (!el) throw new Error(`no element matches ${selector}`);
    return el;
  };
  return {
    window: dom.window,
    doc,
    app,
    posted,
    requests,
    state: () => state,
    send: (msg) => app.receive(JSON.parse(JSON.stringify(msg))),
    reply: async (error) => {
      const last = requests.at(-1);
      if (!last) throw new Error('the webview made no request');
      app.receive(error === undefined ? { type: 'reply', id: last.id, ok: true } : { type: 'reply', id: last.id, ok: false, error });
      await new Promise((r) => setImmediate(r));
    },
    $,
    $$: (selector) => [...doc.querySelectorAll<HTMLElement>(selector)],
    close: () => {
      app.dispose();
      dom.window.close();
    },
  };
}

export function key(m: Mounted, target: EventTarget, keyName: string, init: KeyboardEventInit = {}): KeyboardEvent {
  const e = new m.window.KeyboardEvent('keydown', { key: keyName, bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(e);
  return e;
}
