import { publicEvent, type ModelCatalog, type ModelPricing, type SessionEvent } from '../../wire';
import type { ErrorDetails, EventThreads, ModelPricings, RequestModels, ThinkingTexts } from '../../protocol/panel';

// What the panel gets of log records: the events as the API shows them (the private part stays in the host: it holds
// signatures, redacted thinking and compaction summaries the webview has no use for), plus the summarised thinking
// text of `agent.thinking` events, which VS Code shows folded, and how the model request behind a `session.error`
// failed (its error card says what to do and counts down to the retry), the sub-agent thread of each event of a
// multi-agent session (its tab), and the model a sub-agent's request asked with its pricing (a roster or inline
// sub-agent may run on another model than the session's agent). Plain TypeScript (no vscode): unit-tested in Node.

export interface PanelEvents {
  events: SessionEvent[];
  thinking?: ThinkingTexts;
  errors?: ErrorDetails;
  eventThreads?: EventThreads;
  requestModels?: RequestModels;
  modelPricing?: ModelPricings;
}

/** `priced`: a model's pricing in the catalogue in effect. */
export function panelEvents(records: readonly SessionEvent[], priced: (model: string) => ModelPricing): PanelEvents {
  const thinking: ThinkingTexts = {};
  const errors: ErrorDetails = {};
  const eventThreads: EventThreads = {};
  const requestModels: RequestModels = {};
  const modelPricing: ModelPricings = {};
  for (const e of records) {
    if (e._hangar?.thread) eventThreads[e.id] = e._hangar.thread;
    if (e.type === 'session.error' && e._hangar?.model_error) errors[e.id] = e._hangar.model_error;
    if (e.type === 'span.model_request_end' && e._hangar?.model) {
      requestModels[e.id] = e._hangar.model;
      modelPricing[e._hangar.model] ??= priced(e._hangar.model);
    }
    if (e.type !== 'agent.thinking') continue;
    const text = thinkingText(e);
    if (text) thinking[e.id] = text;
  }
  const events = records.map((e) => publicEvent(e) as SessionEvent);
  const any = (o: object) => Object.keys(o).length > 0;
  return {
    events,
    ...(any(thinking) ? { thinking } : {}),
    ...(any(errors) ? { errors } : {}),
    ...(any(eventThreads) ? { eventThreads } : {}),
    ...(any(requestModels) ? { requestModels, modelPricing } : {}),
  };
}

/** A model's pricing in the catalogue (user overrides included): what the webview needs of its entry to price usage. */
export function pricingIn(catalog: ModelCatalog, model: string): ModelPricing {
  const p = catalog.lookup(model);
  return { prices: p.prices, ...(p.longPrompt ? { longPrompt: p.longPrompt } : {}), ...(p.estimate ? { estimate: true } : {}) };
}

/** The text of the event's thinking blocks (redacted thinking has none), in order. */
function thinkingText(e: SessionEvent): string {
  const texts: string[] = [];
  for (const b of e._hangar?.blocks ?? []) if (b.type === 'thinking' && typeof b.thinking === 'string' && b.thinking.length > 0) texts.push(b.thinking);
  return texts.join('\n\n');
}
