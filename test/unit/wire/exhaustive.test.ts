import assert from 'node:assert/strict';
import type { SessionEvent } from '../../../src/wire';
import { assertNever } from '../../../src/wire/exhaustive';

// The folds that must decide about every event (src/wire/fold.ts, src/harness/state.ts, src/cli/render.ts,
// webview/model/pending.ts) end in assertNever; `npm run typecheck` is what fails when a new event type is added.
describe('wire/exhaustive', () => {
  it('does not compile a switch over events that leaves a type out, and throws if one slips through at runtime', () => {
    const kind = (e: SessionEvent): string => {
      switch (e.type) {
        case 'user.message':
        case 'user.interrupt':
          return 'user';
        default:
          // @ts-expect-error the other event types are not handled, so e is not never: tsc fails if this stops checking.
          return assertNever(e, 'event');
      }
    };
    assert.equal(kind({ type: 'user.interrupt', id: 'sevt_1', processed_at: null } as SessionEvent), 'user');
    assert.throws(() => kind({ type: 'session.deleted', id: 'sevt_2', processed_at: null } as SessionEvent), /unhandled event: \{"type":"session.deleted"/);
  });
});
