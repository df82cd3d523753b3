import assert from 'node:assert/strict';
import { EventLog, fakeSession, PRICING } from './fixtures';
import { key, mountPanel } from './dom-env';
import type { Mounted } from './dom-env';

describe('webview rendering', () => {
  let m: Mounted;
  afterEach(() => m.close());

  it('renders user text as text and agent markdown as sanitised HTML', () => {
    m = mountPanel();
    const log = new EventLog();
    log.user('<b>not bold</b> please');
    log.agent('Done: **fixed** it.\n\n<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"><p onclick="x()">para</p><a href="javascript:alert(1)">bad</a>\n\nSee [docs](https://example.com/d) and `code`.');
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    const user = m.$('.item.user .plain');
    assert.equal(user.textContent, '<b>not bold</b> please');
    assert.equal(user.querySelector('b'), null);
    const md = m.$('.item.agent .markdown');
    assert.equal(md.querySelector('strong')?.textContent, 'fixed');
    assert.equal(md.querySelector('code')?.textContent, 'code');
    assert.equal(md.querySelector('script'), null);
    assert.equal(md.querySelector('img'), null);
    assert.equal(md.querySelector('[onerror], [onclick]'), null);
    assert.doesNotMatch(md.innerHTML, /pwned|javascript:/);
    assert.equal((m.window as unknown as { pwned?: number }).pwned, undefined);
    assert.equal(md.querySelector('[href]'), null, 'no anchor can navigate the webview');
    const link = [...md.querySelectorAll<HTMLElement>('.md-link')].find((a) => a.textContent === 'docs');
    link!.click();
    assert.deepEqual(m.posted.at(-1), { type: 'openLink', href: 'https://example.com/d' });
    m.posted.length = 0;
    key(m, link!, 'Enter');
    assert.deepEqual(m.posted, [{ type: 'openLink', href: 'https://example.com/d' }], 'links work from the keyboard too');
  });

  it('shows each tool call with its input and its output joined, long output folded behind "Show all"', () => {
    m = mountPanel();
    const log = new EventLog();
    const bash = log.tool('bash', { command: 'npm test' });
    const output = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n');
    log.result(bash.id, output);
    const edit = log.tool('edit', { file_path: 'src/date.ts', old_string: 'a', new_string: 'b' });
    log.result(edit.id, 'no match for old_string', true);
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    const [bashEl, editEl] = m.$$('.item.tool');
    assert.equal(bashEl!.querySelector('.tool-name')?.textContent, 'bash');
    assert.equal(bashEl!.querySelector('.tool-summary')?.textContent, 'npm test');
    const out = bashEl!.querySelector('pre.output')!;
    assert.match(out.textContent!, /^line 1\n/);
    assert.doesNotMatch(out.textContent!, /line 100/);
    const more = bashEl!.querySelector<HTMLButtonElement>('.show-all')!;
    assert.equal(more.textContent, 'Show all 100 lines');
    more.click();
    assert.match(m.$$('.item.tool')[0]!.querySelector('pre.output')!.textContent!, /line 100$/);
    assert.deepEqual((m.state() as { expanded: string[] }).expanded, [`${bash.id}:output`]);

    assert.ok(editEl!.classList.contains('tone-error'));
    assert.equal(editEl!.querySelector('.badge')?.textContent, 'failed');
    assert.equal(editEl!.querySelector('.disclosure-body')?.childNodes.length, 0, 'input detail is built only when opened');
    editEl!.querySelector<HTMLButtonElement>('.disclosure-toggle')!.click();
    assert.equal(editEl!.querySelector('.tool-input')?.textContent, '- a\n+ b');
    editEl!.querySelector<HTMLElement>('a.tool-summary')!.click();
    assert.deepEqual(m.posted.at(-1), { type: 'openFile', path: 'src/date.ts' });
  });

  it('shows errors with their cause and retry status, and model spans with tokens, cost and time', () => {
    m = mountPanel();
    const log = new EventLog();
    log.add({ type: 'session.error', error: { type: 'model_overloaded_error', message: 'Overloaded (529)', retry_status: { type: 'retrying' } } });
    log.span({ input_tokens: 12_000, output_tokens: 800 }, 3200);
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    const err = m.$('.item.error');
    assert.equal(err.querySelector('.who')?.textContent, 'Model overloaded');
    assert.equal(err.querySelector('.plain')?.textContent, 'Overloaded (529)');
    assert.equal(err.querySelector('.badge')?.textContent, 'Retrying');
    assert.equal(m.$('.item.span .span-stats').textContent, '12k in · 800 out · $0.048 · 3.2 s');
  });

  it('collapses thinking and keeps the preview text after the final thinking event', () => {
    m = mountPanel();
    m.send({ type: 'init', pricing: PRICING, session: fakeSession({ status: 'running' }), events: [] });
    m.send({ type: 'preview', preview: { type: 'event_start', event: { type: 'agent.thinking', id: 'sevt_t' } } });
    m.send({ type: 'preview', preview: { type: 'event_delta', event_id: 'sevt_t', delta: { type: 'content_delta', index: 0, content: { type: 'text', text: 'consider the timezone' } } } });
    const log = new EventLog();
    m.send({ type: 'events', events: [log.add({ type: 'agent.thinking', id: 'sevt_t' })] });
    const thinking = m.$('.item.thinking');
    assert.equal(thinking.querySelector('.thinking-text'), null, 'collapsed by default');
    const toggle = thinking.querySelector<HTMLButtonElement>('.disclosure-toggle')!;
    assert.equal(toggle.textContent, 'Thought');
    toggle.click();
    assert.equal(toggle.getAttribute('aria-expanded'), 'true');
    assert.equal(m.$('.item.thinking .thinking-text').textContent, 'consider the timezone');
  });

  it('shows the thinking text the host read from the log folded behind a focusable toggle that names its region', () => {
    m = mountPanel();
    const log = new EventLog();
    const withText = log.add({ type: 'agent.thinking' });
    log.add({ type: 'agent.thinking' });
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events, thinking: { [withText.id]: 'The test runs in UTC+1.' } });
    const [first, second] = m.$$('.item.thinking');
    assert.equal(first!.querySelector('.thinking-text'), null, 'folded by default');
    const toggle = first!.querySelector<HTMLButtonElement>('button.disclosure-toggle')!;
    assert.equal(toggle.getAttribute('aria-expanded'), 'false');
    const region = m.doc.getElementById(toggle.getAttribute('aria-controls')!)!;
    assert.ok(region.hidden, 'the folded region is named by aria-controls and hidden');
    toggle.focus();
    assert.equal(m.doc.activeElement, toggle, 'the toggle takes keyboard focus');
    toggle.click();
    assert.equal(toggle.getAttribute('aria-expanded'), 'true');
    assert.equal(region.querySelector('.thinking-text')?.textContent, 'The test runs in UTC+1.');
    toggle.click();
    assert.equal(first!.querySelector('.thinking-text'), null, 'folds again');
    assert.equal(second!.querySelector('button'), null, 'thinking without text (redacted) has nothing to unfold');

    const later = log.add({ type: 'agent.thinking' });
    m.send({ type: 'events', events: [later], thinking: { [later.id]: 'Now check the CI timezone.' } });
    m.$$('.item.thinking').at(-1)!.querySelector<HTMLButtonElement>('button.disclosure-toggle')!.click();
    assert.equal(m.$$('.item.thinking .thinking-text').at(-1)?.textContent, 'Now check the CI timezone.', 'live events carry their thinking text too');
  });

  it('prices spans and the header with the pricing the host sends, not the built-in table', () => {
    m = mountPanel();
    const log = new EventLog();
    log.span({ input_tokens: 12_000, output_tokens: 800 }, 3200);
    const pricing = { prices: { ...PRICING.prices, input: 30, output: 150 } };
    m.send({ type: 'init', pricing, session: fakeSession(), events: log.events });
    assert.equal(m.$('.item.span .span-stats').textContent, '12k in · 800 out · $0.48 · 3.2 s');
    assert.match(m.$('.header .stats').textContent ?? '', / · \$0\.48 · /);
  });
});
