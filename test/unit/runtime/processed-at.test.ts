import assert from 'node:assert/strict';
import { withProcessedAt } from '../../../src/runtime/processed-at';
import type { SessionEvent } from '../../../src/wire';

// A queued user.message (processed_at null in the append-only log) reads as processed when the first model request
// after it started; a compaction request does not count, and without a later request it stays queued.

const ev = (type: string, processed_at: string | null, fields: Record<string, unknown> = {}) => ({ id: `sevt_${type}_${processed_at}`, type, processed_at, ...fields }) as unknown as SessionEvent;
const text = { content: [{ type: 'text', text: 'steer' }] };

describe('processed_at of queued messages', () => {
  it('is the start of the first model request after the message, not of a compaction', () => {
    const events = [
      ev('span.model_request_start', 't1'),
      ev('user.message', null, text),
      ev('span.model_request_end', 't2'),
      ev('span.model_request_start', 't3', { _hangar: { purpose: 'compaction' } }),
      ev('span.model_request_start', 't4'),
    ];
    assert.equal(withProcessedAt(events, events[1]!, 1).processed_at, 't4');
    assert.equal(events[1]!.processed_at, null, 'the stored event is not changed');
  });

  it('stays null while no model request has taken it, and leaves other events alone', () => {
    const events = [ev('user.message', null, text), ev('agent.tool_result', 't2'), ev('user.interrupt', null)];
    assert.equal(withProcessedAt(events, events[0]!, 0).processed_at, null);
    const later = [...events, ev('span.model_request_start', 't5')];
    assert.equal(withProcessedAt(later, later[2]!, 2).processed_at, null, 'only user.message is queued for the model');
    assert.equal(withProcessedAt(later, later[0]!, 0).processed_at, 't5');
  });
});
