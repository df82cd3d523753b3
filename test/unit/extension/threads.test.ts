import assert from 'node:assert/strict';
import { ThreadFold, THREAD_EVENT_TYPES } from '../../../src/extension/tree/thread-fold';
import { SessionEvent } from '../../../src/wire';

// The sessions tree's thread nodes are a fold over session.thread_* events. The harness does not create sub-agents
// yet, so these synthetic events (validated by the wire schema) stand in for the ones it will write.

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
    assert.deepEqual(fold.get('sthr_a'), { id: 'sthr_a', agentName: 'tester', status: 'starting', stopReason: null, workflowRunId: null, createdAt: at(1), updatedAt: at(1) });
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

  it('learns a thread from a status event when its creation was not seen, and never revives a terminated one', () => {
    const fold = new ThreadFold();
    fold.apply(running('sthr_e', 'late', 7));
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
});
