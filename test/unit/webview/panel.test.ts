import assert from 'node:assert/strict';
import { EventLog, fakeSession, PRICING } from './fixtures';
import { key, mountPanel } from './dom-env';
import type { Mounted } from './dom-env';

describe('webview panel', () => {
  let m: Mounted;
  afterEach(() => m.close());

  it('says ready on start, then renders the init log with a status header', () => {
    m = mountPanel();
    assert.deepEqual(m.posted, [{ type: 'ready' }]);
    assert.equal(m.$('.stream .loading').textContent, 'Loading session…');
    const log = new EventLog();
    log.running();
    log.user('fix the date test');
    log.span({ input_tokens: 10_000, output_tokens: 2000 });
    m.send({ type: 'init', pricing: PRICING, session: fakeSession({ status: 'running' }), events: log.events });
    assert.equal(m.doc.querySelector('.loading'), null);
    assert.equal(m.$('.header .title').textContent, 'Fix the failing date test');
    assert.equal(m.$('.header .status').textContent, 'Running');
    assert.ok(m.$('.header .status .codicon-loading'), 'a codicon, not a Unicode glyph');
    // Running since 10:00:01, "now" is 10:10:00 in the test clock.
    assert.equal(m.$('.header .stats').textContent, '9m 59s · 10k in · 2.0k out · $0.060 · claude-sonnet-4-5');
    assert.equal(m.$('[role="log"]').getAttribute('aria-live'), 'polite');
  });

  it('sends on Enter (Shift+Enter is a newline), interrupts by button and by Escape while running', () => {
    m = mountPanel();
    const log = new EventLog();
    log.running();
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    const input = m.$('.composer-input') as HTMLTextAreaElement;
    input.value = 'also update the changelog';
    assert.equal(key(m, input, 'Enter', { shiftKey: true }).defaultPrevented, false);
    key(m, input, 'Enter');
    assert.deepEqual(m.posted.at(-1), { type: 'send', text: 'also update the changelog' });
    assert.equal(input.value, '');
    key(m, input, 'Enter');
    assert.equal(m.posted.filter((p) => p.type === 'send').length, 1, 'an empty box sends nothing');
    const interrupt = [...m.$$('.composer button')].find((b) => b.textContent?.includes('Interrupt')) as HTMLButtonElement;
    assert.equal(interrupt.disabled, false);
    interrupt.click();
    assert.deepEqual(m.posted.at(-1), { type: 'interrupt' });
    key(m, m.doc.body, 'Escape');
    assert.equal(m.posted.filter((p) => p.type === 'interrupt').length, 2);
    m.send({ type: 'events', events: [log.idle()] });
    assert.equal(interrupt.disabled, true);
    key(m, m.doc.body, 'Escape');
    assert.equal(m.posted.filter((p) => p.type === 'interrupt').length, 2, 'Escape does nothing while idle');
  });

  it('prompts for an always_ask tool and posts confirm with the reason on Deny', () => {
    m = mountPanel();
    const log = new EventLog();
    log.running();
    const use = log.tool('bash', { command: 'git push --force' }, { evaluated_permission: 'ask' });
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    assert.equal(m.$('.prompts').hidden, true);
    m.send({ type: 'events', events: [log.idle([use.id])] });
    assert.equal(m.$('.prompts').hidden, false);
    assert.equal(m.$('.prompt .prompt-summary').textContent, 'git push --force');
    assert.equal(m.$(`.item.tool[data-key="${use.id}"] .tool-result`).textContent, 'waiting for approval');
    (m.$('.prompt-reason') as HTMLInputElement).value = '  not on main ';
    m.$('[aria-label="Deny bash"]').click();
    assert.deepEqual(m.posted.at(-1), { type: 'confirm', tool_use_id: use.id, result: 'deny', deny_message: 'not on main' });
    assert.equal(m.$('.prompts').hidden, true, 'answered prompts leave at once');
    m.send({ type: 'events', events: [log.add({ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'deny', deny_message: 'not on main' })] });
    assert.equal(m.$(`.item.tool[data-key="${use.id}"] .tool-result`).textContent, 'denied: not on main');
  });

  it('posts allow for a permission and a text answer for a custom tool', () => {
    m = mountPanel();
    const log = new EventLog();
    const use = log.tool('write', { file_path: 'a.txt', content: 'x' }, { evaluated_permission: 'ask' });
    const custom = log.add({ type: 'agent.custom_tool_use', name: 'ask_user', input: { question: 'Which branch?' } });
    log.idle([use.id, custom.id]);
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    assert.equal(m.$$('.prompt').length, 2);
    m.$('[aria-label="Allow write"]').click();
    assert.deepEqual(m.posted.at(-1), { type: 'confirm', tool_use_id: use.id, result: 'allow' });
    (m.$('.prompt-answer') as HTMLTextAreaElement).value = 'release/2.0';
    [...m.$$('.prompt button')].find((b) => b.textContent === 'Send result')!.click();
    assert.deepEqual(m.posted.at(-1), { type: 'customToolResult', custom_tool_use_id: custom.id, text: 'release/2.0', is_error: false });
  });

  it('brings a refused answer back with the host\'s reason, and keeps an accepted one gone', async () => {
    m = mountPanel();
    const log = new EventLog();
    const use = log.tool('bash', { command: 'rm -rf build' }, { evaluated_permission: 'ask' });
    log.idle([use.id]);
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    m.$('[aria-label="Allow bash"]').click();
    assert.equal(m.$('.prompts').hidden, true, 'the prompt leaves while the host decides');
    assert.equal(m.requests.at(-1)?.type, 'confirm');
    await m.reply('session sesn_1 was deleted');
    assert.equal(m.$('.prompts').hidden, false, 'a refused answer puts the question back');
    assert.equal(m.$$('.prompt').length, 1);
    assert.equal(m.$('.banner').hidden, false);
    assert.equal(m.$('.banner-text').textContent, 'session sesn_1 was deleted');
    m.$('[aria-label="Allow bash"]').click();
    await m.reply();
    assert.equal(m.$('.prompts').hidden, true, 'an accepted answer stays answered');
    assert.equal(m.posted.filter((p) => p.type === 'confirm').length, 2);
  });

  it('puts a refused message back into the empty box and says why', async () => {
    m = mountPanel();
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: new EventLog().events });
    const input = m.$('.composer-input') as HTMLTextAreaElement;
    input.value = 'run the tests';
    key(m, input, 'Enter');
    assert.equal(input.value, '');
    await m.reply('the runtime is restarting');
    assert.equal(input.value, 'run the tests');
    assert.equal(m.$('.banner-text').textContent, 'the runtime is restarting');
  });

  it('settles only its own requests: a reply with an unknown id changes nothing', async () => {
    m = mountPanel();
    m.send({ type: 'reply', id: 'gone-1', ok: false, error: 'from a webview that was torn down' });
    assert.equal(m.$('.banner').hidden, true);
    assert.ok(m.requests.every((r) => typeof r.id === 'string' && r.id.length > 0), 'every request carries an id');
    assert.equal(new Set(m.requests.map((r) => r.id)).size, m.requests.length);
  });

  it('replaces a live preview with the final agent.message', () => {
    m = mountPanel();
    m.send({ type: 'init', pricing: PRICING, session: fakeSession({ status: 'running' }), events: [] });
    m.send({ type: 'preview', preview: { type: 'event_start', event: { type: 'agent.message', id: 'sevt_m' } } });
    m.send({ type: 'preview', preview: { type: 'event_delta', event_id: 'sevt_m', delta: { type: 'content_delta', index: 0, content: { type: 'text', text: 'Working on **it' } } } });
    assert.equal(m.$('.item.agent.live .plain').textContent, 'Working on **it');
    // Each delta re-renders the preview; the log (the live region) is busy until the message is complete.
    assert.equal(m.$('.stream-list[role="log"]').getAttribute('aria-busy'), 'true');
    const log = new EventLog();
    m.send({ type: 'events', events: [log.agent('Working on **it**', 'sevt_m')] });
    assert.equal(m.$$('.item.agent').length, 1);
    assert.equal(m.doc.querySelector('.item.agent.live'), null);
    assert.equal(m.$('.stream-list').getAttribute('aria-busy'), null, 'the complete message is read');
    assert.equal(m.$('.item.agent .markdown strong').textContent, 'it');
  });

  it('shows a running command\'s live output, capped to its last lines, until its result replaces it', () => {
    m = mountPanel();
    const log = new EventLog();
    const use = log.tool('bash', { command: 'npm test' });
    m.send({ type: 'init', pricing: PRICING, session: fakeSession({ status: 'running' }), events: log.events });
    assert.equal(m.doc.querySelector('.tool-live'), null, 'nothing printed yet');
    const tail = Array.from({ length: 10 }, (_, i) => `test ${i + 1} ok`).join('\n');
    m.send({ type: 'preview', preview: { type: 'tool_output', tool_use_id: use.id, tail, bytes: 2048, binary: false } });
    const live = m.$('.item.tool pre.tool-live');
    assert.equal(live.textContent, ['test 5 ok', 'test 6 ok', 'test 7 ok', 'test 8 ok', 'test 9 ok', 'test 10 ok'].join('\n'));
    assert.equal(live.getAttribute('aria-label'), 'Live output so far (2.0 KiB), last lines');
    assert.equal(m.$('.item.tool .tool-result').textContent, 'running…');
    assert.equal(m.$('.item.tool').getAttribute('aria-busy'), 'true', 'a screen reader waits for the result');
    assert.equal(m.$('.stream-list').getAttribute('aria-busy'), 'true', 'so does the log, where Chromium looks');
    m.send({ type: 'preview', preview: { type: 'tool_output', tool_use_id: use.id, tail: '\u0000', bytes: 4096, binary: true } });
    assert.equal(m.$('.item.tool pre.tool-live').textContent, '(binary output, 4.0 KiB so far)');
    m.send({ type: 'events', events: [log.result(use.id, 'all 10 tests passed')] });
    assert.equal(m.doc.querySelector('.tool-live'), null, 'the result replaced the preview');
    assert.equal(m.$('.item.tool').getAttribute('aria-busy'), null);
    assert.equal(m.$('.stream-list').getAttribute('aria-busy'), null);
    m.$('.item.tool .tool-line').click();
    assert.equal(m.$('.item.tool pre.output').textContent, 'all 10 tests passed');
    m.send({ type: 'preview', preview: { type: 'tool_output', tool_use_id: use.id, tail: 'late', bytes: 5000, binary: false } });
    assert.equal(m.doc.querySelector('.tool-live'), null, 'a preview after the result is ignored');
  });

  it('shows a tab per thread only once sub-agent events exist, and switches lanes', () => {
    m = mountPanel();
    const log = new EventLog();
    log.tool('read', { file_path: 'a.ts' });
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    assert.equal(m.$('[role="tablist"]').hidden, true);
    m.send({ type: 'events', events: [log.tool('bash', { command: 'npm test' }, { session_thread_id: 'sthr_t' })] });
    m.send({ type: 'events', events: [log.add({ type: 'session.thread_status_running', session_thread_id: 'sthr_t', agent_name: 'tester' })] });
    const tabs = m.$$('[role="tab"]');
    assert.deepEqual(tabs.map((t) => t.textContent), ['coder (main)', 'tester']);
    assert.deepEqual(tabs.map((t) => t.getAttribute('aria-selected')), ['true', 'false']);
    assert.deepEqual(m.$$('.item.tool .tool-name').map((e) => e.textContent), ['read']);
    key(m, tabs[0]!, 'ArrowRight');
    assert.deepEqual(m.$$('.item.tool .tool-name').map((e) => e.textContent), ['bash']);
    assert.equal(m.doc.activeElement?.textContent, 'tester');
    assert.equal((m.state() as { lane: string }).lane, 'sthr_t');
  });

  it('restores UI state (draft, lane, expanded output) after a reload from the same init', () => {
    const log = new EventLog();
    const use = log.tool('bash', { command: 'cat big.log' });
    log.result(use.id, Array.from({ length: 50 }, (_, i) => `row ${i}`).join('\n'));
    m = mountPanel();
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    (m.$('.composer-input') as HTMLTextAreaElement).value = 'half-typed';
    m.$('.composer-input').dispatchEvent(new m.window.Event('input'));
    m.$('.tool-line').click();
    m.$('.show-all').click();
    const saved = m.state();
    m.close();
    m = mountPanel(saved);
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    assert.equal((m.$('.composer-input') as HTMLTextAreaElement).value, 'half-typed');
    assert.match(m.$('pre.output').textContent!, /row 49$/);
  });

  it('shows in the header whether the sandbox is a Docker container or local', () => {
    m = mountPanel();
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: [], sandbox: 'docker' });
    const kind = m.$('.header .sandbox-kind');
    assert.equal(kind.textContent, 'Docker');
    assert.ok(kind.querySelector('.codicon-vm'));
    assert.match(kind.getAttribute('aria-label')!, /^Sandbox: Docker\. Runs in a Docker container/);
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: [], sandbox: 'local' });
    assert.equal(m.$('.header .sandbox-kind').textContent, 'Local');
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: [] });
    assert.ok(m.$('.header .sandbox-kind').hidden, 'not known: not shown');
  });

  it('saves the session id with the UI state, and drops state saved for another session', () => {
    const log = new EventLog();
    log.tool('read', { file_path: 'a.ts' });
    m = mountPanel();
    m.send({ type: 'init', pricing: PRICING, session: fakeSession({ id: 'sesn_one' }), events: log.events });
    assert.equal((m.state() as { sessionId: string }).sessionId, 'sesn_one');
    (m.$('.composer-input') as HTMLTextAreaElement).value = 'for session one';
    m.$('.composer-input').dispatchEvent(new m.window.Event('input'));
    const saved = m.state();
    m.close();
    m = mountPanel(saved);
    m.send({ type: 'init', pricing: PRICING, session: fakeSession({ id: 'sesn_two' }), events: log.events });
    assert.equal((m.$('.composer-input') as HTMLTextAreaElement).value, '');
    assert.deepEqual(m.state(), { sessionId: 'sesn_two', lane: '', draft: '', drafts: { sesn_one: 'for session one' }, expanded: [], scroll: {} });
    m.close();
    m = mountPanel(saved);
    m.send({ type: 'init', pricing: PRICING, session: fakeSession({ id: 'sesn_one' }), events: log.events });
    assert.equal((m.$('.composer-input') as HTMLTextAreaElement).value, 'for session one');
  });

  it('ignores stored state of the wrong shape and shows host errors and malformed messages in a banner', () => {
    m = mountPanel({ draft: 42, expanded: 'all' });
    assert.equal((m.$('.composer-input') as HTMLTextAreaElement).value, '');
    m.app.receive({ type: 'events', events: [{ type: 'agent.message' }] });
    assert.equal(m.$('.banner').hidden, false);
    assert.match(m.$('.banner-text').textContent!, /^invalid host→webview message \(type events\): events\.0/);
    m.send({ type: 'error', message: 'log unreadable' });
    assert.equal(m.$('.banner-text').textContent, 'log unreadable');
    m.$('[aria-label="Dismiss error"]').click();
    assert.equal(m.$('.banner').hidden, true);
  });

  it('lists changed files that open on click and a Review button', () => {
    m = mountPanel();
    m.send({ type: 'changes', files: [{ path: 'src/date.ts', status: 'modified', additions: 4, deletions: 2 }, { path: 'test/date.test.ts', status: 'added', additions: 10, deletions: 0 }] });
    assert.equal(m.$('.changes-head').textContent, '2 files changed+14−2Review changes');
    m.$$('.change-file')[1]!.click();
    assert.deepEqual(m.posted.at(-1), { type: 'openFile', path: 'test/date.test.ts' });
    [...m.$$('.changes button')].find((b) => b.textContent === 'Review changes')!.click();
    assert.deepEqual(m.posted.at(-1), { type: 'reviewChanges' });
  });
  it('after the user rewinds from a step they scrolled up to, or sends, the stream follows to its end again', () => {
    m = mountPanel();
    const log = new EventLog();
    log.user('draft the notes');
    const first = log.tool('write', { file_path: 'NOTES.md', content: 'first draft' });
    log.result(first.id, 'wrote NOTES.md');
    log.add({ type: 'hangar.checkpoint', checkpoint_id: 'ckpt_first', tree: 'a'.repeat(40), trigger: 'tool_call', tool_use_id: first.id });
    log.idle();
    log.user('add more');
    log.agent('Wrote the second draft.');
    log.idle();
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    // jsdom has no layout: each item is 100 px tall, the stream shows 300 px of it.
    const stream = m.$('.stream');
    let top = 0;
    const height = () => stream.querySelectorAll('.item').length * 100;
    Object.defineProperty(stream, 'clientHeight', { get: () => 300 });
    Object.defineProperty(stream, 'scrollHeight', { get: height });
    Object.defineProperty(stream, 'scrollTop', { get: () => top, set: (v: number) => (top = Math.max(0, Math.min(v, height() - 300))) });
    const atEnd = () => top === height() - 300;
    const userScrolls = (to: number) => {
      top = to;
      stream.dispatchEvent(new m.window.Event('scroll'));
    };
    userScrolls(height() - 300);
    userScrolls(0);
    m.send({ type: 'events', events: [log.agent('Still here.')] });
    assert.equal(top, 0, 'reading earlier steps, the user is not pulled down by new events');

    m.$('.item.tool button.rewind').click();
    assert.deepEqual(m.posted.at(-1), { type: 'rewind', checkpoint_id: 'ckpt_first' });
    m.send({ type: 'events', events: [log.add({ type: 'hangar.rewind', checkpoint_id: 'ckpt_first', tree: 'a'.repeat(40) })] });
    assert.ok(atEnd(), 'the rewind note shows at the end');
    assert.match(stream.querySelectorAll('.item')[stream.querySelectorAll('.item').length - 1]?.textContent ?? '', /^Rewound/);

    userScrolls(0);
    const input = m.$('.composer-input') as HTMLTextAreaElement;
    input.value = 'go on';
    key(m, input, 'Enter');
    m.send({ type: 'events', events: [log.user('go on'), log.agent('Continued from the first draft.')] });
    assert.ok(atEnd(), "the user's message and the answer show");
  });
});
