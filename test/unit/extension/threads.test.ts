import assert from 'node:assert/strict';
import { ThreadFold, THREAD_EVENT_TYPES } from '../../../src/extension/tree/thread-fold';
import { BUILTIN_MODELS, SessionEvent, type ModelPricing } from '../../../src/wire';

// The sessions tree's thread nodes are a fold over session.thread_* events and each sub-thread's model requests.
// Synthetic events (validated by the wire schema) stand in for the ones the harness writes.

let n = 0;
const at = (s: number) => new Date(Date.UTC(2026, 0, 5, 10, 0, s)).toISOString();
function ev(raw: Record<string, unknown>, second = n): SessionEvent {
  n += 1;
  return SessionEvent.parse({ id: `sevt_${n}`, processed_at: at(second), ...raw });
}
const created = (id: string, agent: string, s?: number) => ev({ type: 'session.thread_created', session_thread_id: id, agent_name: agent, workflow_run_id: null }, s);
const running = (id: string, agent: string, s?: number) => ev({ type: 'session.thread_status_running', session_thread_id: id, agent_name: agent }, s);
const idle = (id: string, agent: string, stop: Record<string, unknown>, s?: number) => ev({ type: 'session.thread_status_idle', session_thread_id: id, agent_name: agent, stop_reason: stop }, s);
const terminated = (id: string, agent: string, s?: number) => ev({ type: 'session.thread_status_terminated', session_thread_id: id, agent_name: agent }, s);

describe('extension: threads folded from session.thread_* events', () => {
  beforeEach(() => (n = 0));

  it('has no threads for a log without thread events, and ignores every other event', () => {
    const fold = new ThreadFold();
    const others = [
      ev({ type: 'user.message', content: [{ type: 'text', text: 'hi' }] }),
      ev({ type: 'session.status_running' }),
      ev({ type: 'agent.message', content: [{ type: 'text', text: 'hello' }] }),
      ev({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } }),
    ];
    assert.deepEqual(others.map((e) => fold.apply(e)), [false, false, false, false]);
    assert.deepEqual(fold.list(), []);
  });

  it('follows a thread from created through running and idle to terminated', () => {
    const fold = new ThreadFold();
    assert.equal(fold.apply(created('sthr_a', 'tester', 1)), true);
    assert.deepEqual(fold.get('sthr_a'), { id: 'sthr_a', agentName: 'tester', status: 'starting', stopReason: null, workflowRunId: null, createdAt: at(1), updatedAt: at(1), costCents: 0, costEstimated: false });
    fold.apply(running('sthr_a', 'tester', 2));
    assert.equal(fold.get('sthr_a')?.status, 'running');
    fold.apply(idle('sthr_a', 'tester', { type: 'requires_action', event_ids: ['sevt_x'] }, 3));
    assert.equal(fold.get('sthr_a')?.status, 'idle');
    assert.deepEqual(fold.get('sthr_a')?.stopReason, { type: 'requires_action', event_ids: ['sevt_x'] });
    fold.apply(running('sthr_a', 'tester', 4));
    fold.apply(idle('sthr_a', 'tester', { type: 'end_turn' }, 5));
    fold.apply(terminated('sthr_a', 'tester', 6));
    const t = fold.get('sthr_a');
    assert.equal(t?.status, 'terminated');
    assert.deepEqual(t.stopReason, { type: 'end_turn' });
    assert.equal(t.createdAt, at(1));
    assert.equal(t.updatedAt, at(6));
  });

  it('keeps several threads in the order they appeared, each with its own state', () => {
    const fold = new ThreadFold();
    for (const e of [created('sthr_b', 'researcher'), created('sthr_c', 'writer'), running('sthr_c', 'writer'), running('sthr_b', 'researcher'), idle('sthr_b', 'researcher', { type: 'end_turn' })]) fold.apply(e);
    assert.deepEqual(fold.list().map((t) => [t.id, t.agentName, t.status]), [['sthr_b', 'researcher', 'idle'], ['sthr_c', 'writer', 'running']]);
  });

  it('folds an event seen twice (listing and live tail overlap) once', () => {
    const fold = new ThreadFold();
    const c = created('sthr_d', 'tester');
    const r = running('sthr_d', 'tester');
    const i = idle('sthr_d', 'tester', { type: 'end_turn' });
    for (const e of [c, r, i]) fold.apply(e);
    assert.equal(fold.apply(r), false, 'a replayed running does not undo the idle');
    assert.equal(fold.get('sthr_d')?.status, 'idle');
  });

  it("learns a sub-thread from its (tagged) status event when its creation was not seen, and never revives a terminated one", () => {
    const fold = new ThreadFold();
    fold.apply(SessionEvent.parse({ ...running('sthr_e', 'late', 7), _hangar: { thread: 'sthr_e' } }));
    assert.deepEqual([fold.get('sthr_e')?.agentName, fold.get('sthr_e')?.status, fold.get('sthr_e')?.createdAt], ['late', 'running', at(7)]);
    fold.apply(terminated('sthr_e', 'late'));
    fold.apply(running('sthr_e', 'late'));
    fold.apply(idle('sthr_e', 'late', { type: 'end_turn' }));
    assert.equal(fold.get('sthr_e')?.status, 'terminated');
  });

  it('names exactly the thread lifecycle events of the wire format (the filter the tree lists with)', () => {
    const wireTypes = SessionEvent.options.map((o) => o.shape.type.value).filter((t) => t.startsWith('session.thread_'));
    assert.deepEqual([...THREAD_EVENT_TYPES].sort(), wireTypes.sort());
  });

  it("is not fooled by the coordinator's own thread status events (untagged, never created)", () => {
    const fold = new ThreadFold();
    assert.equal(fold.apply(running('sthr_primary', 'lead')), false);
    assert.equal(fold.apply(idle('sthr_primary', 'lead', { type: 'end_turn' })), false);
    assert.deepEqual(fold.list(), []);
  });

  it("adds up each sub-thread's model requests, priced with the model its span end names; the coordinator's are not a thread's", () => {
    const prices: Record<string, ModelPricing> = { sonnet: { prices: BUILTIN_MODELS['claude-sonnet-4-5']!.prices }, opus: { prices: BUILTIN_MODELS['claude-opus-4-8']!.prices } };
    const fold = new ThreadFold((e) => prices[e._hangar?.model ?? 'sonnet']!);
    const usage = { input_tokens: 100_000, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    const span = (hangar?: Record<string, unknown>) => ev({ type: 'span.model_request_end', model_request_start_id: 'sevt_0', is_error: false, model_usage: usage, ...(hangar ? { _hangar: hangar } : {}) });
    fold.apply(created('sthr_a', 'tester'));
    fold.apply(created('sthr_b', 'reviewer'));
    assert.equal(fold.apply(span()), false, "the coordinator's request");
    const a = span({ thread: 'sthr_a', model: 'sonnet' });
    assert.equal(fold.apply(a), true);
    assert.equal(fold.apply(a), false, 'an event seen twice counts once');
    fold.apply(span({ thread: 'sthr_b', model: 'opus' }));
    fold.apply(span({ thread: 'sthr_b', model: 'opus' }));
    assert.deepEqual(fold.list().map((t) => [t.agentName, Math.round(t.costCents)]), [['tester', 30], ['reviewer', 100]]);
    assert.deepEqual(fold.list().map((t) => t.costEstimated), [false, false]);
  });

  it("marks a sub-thread's cost an estimate once one of its requests was priced without a list price", () => {
    const prices: Record<string, ModelPricing> = { sonnet: { prices: BUILTIN_MODELS['claude-sonnet-4-5']!.prices }, remote: { prices: { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 }, estimate: true } };
    const fold = new ThreadFold((e) => prices[e._hangar?.model ?? 'sonnet']!);
    const usage = { input_tokens: 100_000, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    const span = (hangar: Record<string, unknown>) => ev({ type: 'span.model_request_end', model_request_start_id: 'sevt_0', is_error: false, model_usage: usage, _hangar: hangar });
    fold.apply(created('sthr_a', 'tester'));
    fold.apply(created('sthr_b', 'remote'));
    fold.apply(span({ thread: 'sthr_a', model: 'sonnet' }));
    fold.apply(span({ thread: 'sthr_b', model: 'remote' }));
    assert.deepEqual(fold.list().map((t) => [t.agentName, t.costEstimated]), [['tester', false], ['remote', true]]);
  });
});
