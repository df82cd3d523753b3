import * as z from 'zod';
import { parseCompareHostMessage, parseCompareWebviewMessage, type CompareSavedState, type CompareWebviewMessage } from '../../src/protocol/compare';
import { renderAttempts } from './view';

interface VsCodeApi {
  postMessage(message: unknown): void;
  setState(state: CompareSavedState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

// Entry of dist/compare.js, the compare view's page (src/extension/compare/compare-view.ts). What the host sends is
// validated before it is drawn; what the page asks is validated before it is sent. No 'unsafe-eval' in the CSP, so
// zod validates without compiling (as in the session panel).
z.config({ jitless: true });

const api = acquireVsCodeApi();
const root = document.getElementById('root')!;
const post = (message: CompareWebviewMessage): void => {
  const checked = parseCompareWebviewMessage(message);
  if (checked.ok) api.postMessage(checked.value);
};

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  const parsed = parseCompareHostMessage(e.data);
  if (!parsed.ok) {
    root.replaceChildren(Object.assign(document.createElement('p'), { className: 'error', textContent: parsed.error }));
    return;
  }
  // The serializer reopens the view on these attempts after a window reload.
  api.setState({ task: parsed.value.task, sessionIds: parsed.value.attempts.map((a) => a.id) });
  // Redrawing moves focus to the page: keep it on the same button (same session and action) when it is still there.
  const focused = document.activeElement?.closest<HTMLElement>('[data-session]')?.dataset.session;
  const action = document.activeElement instanceof HTMLButtonElement ? document.activeElement.className : null;
  renderAttempts(document, root, parsed.value.task, parsed.value.attempts, post);
  if (focused && action) root.querySelector<HTMLElement>(`[data-session="${CSS.escape(focused)}"] button[class="${CSS.escape(action)}"]`)?.focus();
});
post({ type: 'ready' });
