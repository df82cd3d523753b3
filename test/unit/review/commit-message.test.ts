import assert from 'node:assert/strict';
import { draftCommitMessage, subjectOf, withSubject } from '../../../src/review/commit-message';
import type { SessionEvent } from '../../../src/wire';

const at = '2026-01-01T00:00:00Z';
const user = (text: string, thread?: string) => ({ type: 'user.message', id: `u${text.length}`, processed_at: at, content: [{ type: 'text', text }], ...(thread ? { session_thread_id: thread } : {}) }) as unknown as SessionEvent;
const agent = (text: string) => ({ type: 'agent.message', id: `a${text.length}`, processed_at: at, content: [{ type: 'text', text }] }) as unknown as SessionEvent;
const file = { path: 'a.txt', status: 'modified' as const, binary: false, additions: 1, deletions: 0 };

describe('review: the drafted commit message of a branch hand-off', () => {
  it("takes the task's first non-empty line as the subject, the agent's last message as the body, and names the session", () => {
    const msg = draftCommitMessage('sesn_1', [user('\n  Fix the parser  \nsecond line'), agent('first answer'), agent('Fixed it.\n\nDetails.')], [file]);
    assert.equal(msg, 'Fix the parser\n\nFixed it.\n\nDetails.\n\nHangar-Session: sesn_1');
  });

  it('clips a long subject to 72 characters, ignores messages to sub-agents, and falls back when there is no task', () => {
    const long = 'x'.repeat(100);
    assert.equal(subjectOf(draftCommitMessage('sesn_1', [user(long)], [file])).length, 72);
    assert.equal(draftCommitMessage('sesn_2', [user('to a sub-agent', 'sthr_1')], [file, file]), 'Changes by Hangar session sesn_2 (2 files)\n\nHangar-Session: sesn_2');
  });

  it('replaces only the subject when the user edits the first line', () => {
    assert.equal(withSubject('Old\n\nBody', ' New '), 'New\n\nBody');
    assert.equal(withSubject('Old', 'New'), 'New');
  });
});
