import assert from 'node:assert/strict';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { DEFAULT_CATALOG, summarize, type SessionEvent } from '../../../src/wire';

// A turn asked for and not begun (a process killed between logging the message and the driver's status_running)
// must be visible in the fold, since status alone still says idle; resume and runtime starts wake on it.

const pricing = DEFAULT_CATALOG.lookup(DEFAULT_MODEL);
let n = 0;
const at = '2026-12-07T20:00:00.000Z';
const message = (processedAt: string | null = at): SessionEvent => ({ id: `sevt_${++n}`, type: 'user.message', processed_at: processedAt, content: [{ type: 'text', text: 'go' }] });
const running = (): SessionEvent => ({ id: `sevt_${++n}`, type: 'session.status_running', processed_at: at });
const idle = (type: 'end_turn' | 'budget_reached'): SessionEvent => ({ id: `sevt_${++n}`, type: 'session.status_idle', processed_at: at, stop_reason: { type } } as SessionEvent);

describe('session fold: a turn asked for and not begun', () => {
  it('is set by a message an idle session took, and cleared by the status the turn logs', () => {
    assert.equal(summarize([message()], pricing).turnAsked, true);
    assert.equal(summarize([message(), running()], pricing).turnAsked, false);
    assert.equal(summarize([message(), running(), idle('end_turn')], pricing).turnAsked, false);
    assert.equal(summarize([message(), running(), idle('end_turn'), message()], pricing).turnAsked, true);
  });

  it('is not set by a message queued behind a running turn, nor by one the spent budget holds', () => {
    assert.equal(summarize([message(), running(), message(null)], pricing).turnAsked, false);
    assert.equal(summarize([message(), running(), message()], pricing).turnAsked, false);
    assert.equal(summarize([message(), running(), idle('budget_reached'), message()], pricing).turnAsked, false);
  });
});
