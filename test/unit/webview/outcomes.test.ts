import assert from 'node:assert/strict';
import { PRIMARY } from '../../../webview/model/items';
import { SessionModel } from '../../../webview/model/session-model';
import { EventLog, fakeSession, PRICING } from './fixtures';

// The panel shows an outcome (issue #11 §1): the outcome itself, then each evaluation as a note with its iteration,
// verdict and the grader's explanation; the spans' start and heartbeats add nothing, and the grader's usage counts in
// the summary the header shows.

describe('webview: outcomes in the conversation', () => {
  it('notes the outcome and each evaluation (iteration, verdict, explanation), and folds the grader usage', () => {
    const log = new EventLog();
    log.add({ type: 'user.define_outcome', outcome_id: 'outc_1', description: 'Write hello.txt', rubric: { type: 'text', content: '- hello.txt' }, max_iterations: 3 });
    const start = log.add({ type: 'span.outcome_evaluation_start', outcome_id: 'outc_1', iteration: 0 });
    log.add({ type: 'span.outcome_evaluation_ongoing', outcome_id: 'outc_1', iteration: 0 });
    const usage = { input_tokens: 1_000_000, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    log.add({ type: 'span.outcome_evaluation_end', outcome_evaluation_start_id: start.id, outcome_id: 'outc_1', iteration: 0, result: 'needs_revision', explanation: 'hello.txt is missing.', usage });
    const m = new SessionModel(fakeSession(), PRICING);
    for (const e of log.events) m.apply(e);
    const notes = m.lanes.get(PRIMARY)!.items.map((i) => (i.kind === 'note' ? `${i.tone}: ${i.text}${i.detail ? ` / ${i.detail}` : ''}` : i.kind));
    assert.deepEqual(notes, ['info: Outcome: Write hello.txt (up to 3 evaluations)', 'warn: Evaluation 1: needs revision / hello.txt is missing.']);
    assert.equal(m.summary.usage.input_tokens, 1_000_000, "the grader's tokens count");
    assert.equal(Math.round(m.summary.costCents), 300, 'priced like a model request');
    assert.deepEqual(m.summary.outcomes.map((o) => [o.iteration, o.result, o.explanation]), [[1, 'running', 'hello.txt is missing.']]);
  });
});
