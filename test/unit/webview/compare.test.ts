import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import { parseCompareHostMessage, parseCompareWebviewMessage, type CompareAttempt, type CompareWebviewMessage } from '../../../src/protocol/compare';
import { DIFF_LINES, renderAttempts } from '../../../webview/compare/view';

// The compare view's page (best-of-N): a column per attempt with its facts, its diff and its actions, each action a
// button that posts a request the host accepts.

function attempt(over: Partial<CompareAttempt> = {}): CompareAttempt {
  return {
    id: 'sesn_a',
    title: 'Fix calc.js (1/2)',
    model: 'claude-sonnet-5-5',
    status: 'idle',
    stop: 'end_turn',
    files: 1,
    additions: 2,
    deletions: 1,
    tests: [],
    costCents: 12.5,
    costEstimated: false,
    tokens: 4321,
    patch: 'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,3 @@\n keep\n-old\n+new\n+more\n',
    review: { pending: 2, accepted: 0, rejected: 0 },
    ...over,
  };
}

function mount(attempts: CompareAttempt[]): { doc: Document; posted: CompareWebviewMessage[]; close: () => void } {
  const dom = new JSDOM('<!doctype html><html><body><div id="root"></div></body></html>');
  const doc = dom.window.document;
  const posted: CompareWebviewMessage[] = [];
  renderAttempts(doc, doc.getElementById('root')!, 'Fix calc.js', attempts, (m) => posted.push(m));
  return { doc, posted, close: () => dom.window.close() };
}

describe('compare view (best-of-N)', () => {
  it('shows each attempt in its own labelled column: how it ended, files, lines, tests, cost, review', () => {
    const { doc, close } = mount([
      attempt({ tests: [{ command: 'npm test', passed: false }, { command: 'npm test', passed: true }] }),
      attempt({ id: 'sesn_b', status: 'running', stop: null, tests: [], review: { pending: 0, accepted: 0, rejected: 0 }, patch: '' }),
    ]);
    const cols = [...doc.querySelectorAll<HTMLElement>('section.attempt')];
    assert.equal(cols.length, 2);
    assert.equal(doc.querySelector('.columns')?.getAttribute('data-count'), '2');
    assert.equal(doc.getElementById(cols[0]!.getAttribute('aria-labelledby')!)?.textContent, ' Attempt 1 of 2');
    const dd = (col: HTMLElement, cls: string) => col.querySelector(`dd.${cls}`)?.textContent;
    assert.equal(dd(cols[0]!, 'ended'), 'finished its turn');
    assert.equal(dd(cols[0]!, 'lines'), '+2 −1');
    assert.equal(dd(cols[0]!, 'tests'), '1/2 passed · last: npm test (passed)');
    assert.equal(dd(cols[0]!, 'cost'), '$0.13 · 4,321 tokens');
    assert.equal(dd(cols[0]!, 'review'), '0 accepted · 0 rejected · 2 pending');
    assert.equal(dd(cols[1]!, 'ended'), 'still running');
    assert.equal(dd(cols[1]!, 'tests'), 'not run');
    assert.ok(cols[1]!.querySelector('.codicon-loading'), 'a running attempt spins');
    assert.equal(cols[1]!.querySelector('.no-changes')?.textContent, 'No changes.');
    const kinds = [...cols[0]!.querySelectorAll('.diff .line')].map((l) => l.className.replace('line ', ''));
    assert.deepEqual(kinds, ['meta', 'meta', 'meta', 'hunk', 'ctx', 'del', 'add', 'add']);
    assert.equal(cols[0]!.querySelector('.diff pre')?.getAttribute('tabindex'), '0', 'the diff scrolls from the keyboard');
    close();
  });

  it('marks an estimated cost with ~ (a model without a list price), like the other surfaces', () => {
    const { doc, close } = mount([attempt(), attempt({ id: 'sesn_b', costEstimated: true })]);
    const costs = [...doc.querySelectorAll('dd.cost')].map((d) => d.textContent);
    assert.deepEqual(costs, ['$0.13 · 4,321 tokens', '~$0.13 · 4,321 tokens']);
    const sent = parseCompareHostMessage({ type: 'attempts', task: 't', attempts: [attempt({ costEstimated: true })] });
    assert.ok(sent.ok && sent.value.attempts[0]!.costEstimated, 'the flag survives validation');
    close();
  });

  it('posts accept, review and open for its own session from real buttons, each a valid request', () => {
    const { doc, posted, close } = mount([attempt(), attempt({ id: 'sesn_b' })]);
    const second = doc.querySelectorAll<HTMLElement>('section.attempt')[1]!;
    const buttons = [...second.querySelectorAll<HTMLButtonElement>('button')];
    assert.deepEqual(buttons.map((b) => b.textContent), ['Accept All', 'Review Hunks', 'Open Session']);
    assert.ok(buttons.every((b) => b.type === 'button' && b.getAttribute('aria-label')?.includes('attempt 2')));
    for (const b of buttons) b.click();
    assert.deepEqual(posted, [{ type: 'accept', sessionId: 'sesn_b' }, { type: 'review', sessionId: 'sesn_b' }, { type: 'open', sessionId: 'sesn_b' }]);
    assert.ok(posted.every((m) => parseCompareWebviewMessage(m).ok));
    close();
  });

  it('cuts a long diff and says where the rest is', () => {
    const patch = `@@ -1 +1,${DIFF_LINES + 10} @@\n${Array.from({ length: DIFF_LINES + 10 }, (_, i) => `+line ${i}`).join('\n')}\n`;
    const { doc, close } = mount([attempt({ patch })]);
    assert.equal(doc.querySelectorAll('.diff .line').length, DIFF_LINES);
    assert.match(doc.querySelector('.diff p.muted')?.textContent ?? '', /^11 more lines: Review Hunks shows every file\.$/);
    close();
  });

  it('validates both directions: no attempts, five attempts, a bad session id are refused', () => {
    assert.ok(parseCompareHostMessage({ type: 'attempts', task: 't', attempts: [attempt()] }).ok);
    assert.match(String((parseCompareHostMessage({ type: 'attempts', task: 't', attempts: [] }) as { error: string }).error), /attempts/);
    assert.equal(parseCompareHostMessage({ type: 'attempts', task: 't', attempts: Array.from({ length: 5 }, () => attempt()) }).ok, false);
    assert.match(String((parseCompareWebviewMessage({ type: 'accept', sessionId: '../etc' }) as { error: string }).error), /compare view→host.*sessionId/);
    assert.equal(parseCompareWebviewMessage({ type: 'delete', sessionId: 'sesn_a' }).ok, false);
  });
});
