import assert from 'node:assert/strict';
import { PRIMARY } from '../../../webview/model/items';
import { SessionModel } from '../../../webview/model/session-model';
import { EventLog, fakeSession, PRICING } from './fixtures';

function fold(log: EventLog, threads = [] as { session_thread_id: string; agent_name: string }[]): SessionModel {
  const m = new SessionModel(fakeSession(), PRICING, threads);
  for (const e of log.events) m.apply(e);
  return m;
}

describe('webview session model', () => {
  it('joins tool results, confirmations and span ends to the item that started them', () => {
    const log = new EventLog();
    const use = log.tool('bash', { command: 'rm -rf build' }, { evaluated_permission: 'ask' });
    log.add({ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'deny', deny_message: 'keep build' });
    log.result(use.id, 'denied by user', true);
    const [start] = log.span({ input_tokens: 1_000_000, output_tokens: 0 }, 4000);
    const m = fold(log);
    const items = m.lanes.get(PRIMARY)!.items;
    assert.deepEqual(items.map((i) => i.kind), ['tool', 'span']);
    const tool = m.item(use.id);
    assert.ok(tool?.kind === 'tool');
    assert.deepEqual(tool.confirmation, { result: 'deny', denyMessage: 'keep build' });
    assert.deepEqual(tool.result, { text: 'denied by user', isError: true, attachments: 0 });
    const span = m.item(start.id);
    assert.ok(span?.kind === 'span');
    assert.equal(span.costCents, 300, 'a million Sonnet input tokens at $3/M list price');
    assert.equal(Date.parse(span.endAt!) - Date.parse(span.at!), 4000);
  });

  it('replaces a streamed preview by the final message with the same id, and drops unfinished previews on idle', () => {
    const m = new SessionModel(fakeSession(), PRICING);
    m.preview({ type: 'event_start', event: { type: 'agent.message', id: 'sevt_final' } });
    m.preview({ type: 'event_delta', event_id: 'sevt_final', delta: { type: 'content_delta', index: 0, content: { type: 'text', text: 'Hel' } } });
    const [change] = m.preview({ type: 'event_delta', event_id: 'sevt_final', delta: { type: 'content_delta', index: 0, content: { type: 'text', text: 'lo' } } });
    assert.equal(change?.type, 'updated');
    assert.deepEqual(m.item('sevt_final'), { kind: 'agent', key: 'sevt_final', lane: PRIMARY, at: null, text: 'Hello', live: true, redacted: false });
    const log = new EventLog();
    log.agent('Hello, **world**', 'sevt_final');
    m.apply(log.events[0]!);
    assert.equal(m.lanes.get(PRIMARY)!.items.length, 1);
    assert.deepEqual(m.item('sevt_final'), { kind: 'agent', key: 'sevt_final', lane: PRIMARY, at: log.events[0]!.processed_at, text: 'Hello, **world**', live: false, redacted: false });

    m.preview({ type: 'event_start', event: { type: 'agent.message', id: 'sevt_cut' } });
    const changes = m.apply(log.idle());
    assert.deepEqual(changes.map((c) => [c.type, c.item.key]), [['removed', 'sevt_cut'], ['added', log.events.at(-1)!.id]]);
    assert.equal(m.item('sevt_cut'), undefined);
  });

  it('asks about always_ask tools only while the session idles with requires_action for them', () => {
    const log = new EventLog();
    log.running();
    const ask = log.tool('bash', { command: 'git push' }, { evaluated_permission: 'ask' });
    const custom = log.add({ type: 'agent.custom_tool_use', name: 'lookup_ticket', input: { id: 7 } });
    const m = fold(log);
    assert.deepEqual(m.pendingTools(), [], 'still running: nothing to answer yet');
    m.apply(log.idle([ask.id, custom.id]));
    assert.deepEqual(m.pendingTools().map((t) => t.key), [ask.id, custom.id]);
    m.apply(log.add({ type: 'user.tool_confirmation', tool_use_id: ask.id, result: 'allow' }));
    assert.deepEqual(m.pendingTools().map((t) => t.key), [custom.id]);
    m.apply(log.running());
    assert.deepEqual(m.pendingTools(), [], 'running again: the question is gone');
  });

  it('puts events that carry a session_thread_id in their own lane, the primary lane first', () => {
    const log = new EventLog();
    log.add({ type: 'session.thread_created', session_thread_id: 'sthr_a', agent_name: 'tester', workflow_run_id: null });
    log.tool('bash', { command: 'npm test' }, { session_thread_id: 'sthr_a' });
    log.tool('read', { file_path: 'README.md' });
    log.add({ type: 'session.thread_status_idle', session_thread_id: 'sthr_a', agent_name: 'tester', stop_reason: { type: 'end_turn' } });
    const m = fold(log);
    assert.deepEqual([...m.lanes.keys()], [PRIMARY, 'sthr_a']);
    assert.deepEqual(m.lanes.get('sthr_a')!.items.map((i) => i.kind), ['tool', 'note']);
    assert.equal(m.lanes.get('sthr_a')!.status, 'idle');
    assert.deepEqual(m.lanes.get(PRIMARY)!.items.map((i) => i.kind), ['note', 'tool']);
  });

  it('folds the same summary as the runtime (status, tokens, cost)', () => {
    const log = new EventLog();
    log.running();
    log.span({ input_tokens: 2000, output_tokens: 1000 });
    const m = fold(log);
    assert.equal(m.summary.status, 'running');
    assert.equal(m.summary.usage.output_tokens, 1000);
    assert.ok(Math.abs(m.summary.costCents - (2000 * 3 + 1000 * 15) / 1e4) < 1e-9);
    assert.deepEqual(m.apply(log.events[2]!), [], 'a redelivered event changes nothing');
    assert.equal(m.summary.usage.output_tokens, 1000);
  });
});
