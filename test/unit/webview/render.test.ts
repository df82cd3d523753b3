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

  it('highlights code blocks in messages and gives each a copy button above the code', () => {
    m = mountPanel();
    const log = new EventLog();
    log.agent('Run this:\n\n```ts\nconst x: number = 1; // "<img src=x onerror=alert(1)>"\n```\n\nand\n\n```\nplain <b>text</b>\n```');
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    const [ts, plain] = m.$$('.item.agent .code-block');
    assert.equal(ts!.querySelector('.code-lang')?.textContent, 'ts');
    assert.equal(ts!.querySelector('.hljs-keyword')?.textContent, 'const', 'keywords are marked for the theme colours');
    assert.ok(ts!.querySelector('.hljs-comment'));
    assert.equal(ts!.querySelector('img'), null, 'code is text, never HTML');
    const copy = ts!.querySelector<HTMLButtonElement>('.code-bar button.copy-code')!;
    assert.equal(copy.getAttribute('aria-label'), 'Copy ts code');
    assert.equal(copy.closest('pre'), null, 'the button sits in the bar, not over the code');
    copy.click();
    assert.deepEqual(m.posted.at(-1), { type: 'copy', text: 'const x: number = 1; // "<img src=x onerror=alert(1)>"' });
    assert.equal(plain!.querySelector('pre')?.textContent, 'plain <b>text</b>');
    assert.equal(plain!.querySelector('b, [class^="hljs-"]'), null, 'a block without a language stays plain text');
  });

  it('shows each tool call as one line (icon, tool, target, result) that opens to its input and output', () => {
    m = mountPanel();
    const log = new EventLog();
    const bash = log.tool('bash', { command: 'npm test' });
    const output = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n');
    log.result(bash.id, output);
    const read = log.tool('read', { file_path: 'src/date.ts' });
    log.result(read.id, '     1\texport const a = 1;\n     2\texport const b = 2;');
    const failing = log.tool('bash', { command: 'make' });
    log.result(failing.id, 'cc -o x x.c\n[exit code 2]');
    const broken = log.tool('edit', { file_path: 'src/date.ts', old_string: 'a', new_string: 'b' });
    log.result(broken.id, 'old_string was not found in src/date.ts. It must match the file exactly', true);
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    const [bashEl, readEl, failingEl, brokenEl] = m.$$('.item.tool');
    const line = (el: HTMLElement | undefined) => el!.querySelector<HTMLButtonElement>('button.tool-line')!;
    assert.equal(line(bashEl).querySelector('.codicon-terminal')?.getAttribute('aria-hidden'), 'true');
    assert.equal(bashEl!.querySelector('.tool-name')?.textContent, 'bash');
    assert.equal(bashEl!.querySelector('.tool-target')?.textContent, 'npm test');
    assert.equal(bashEl!.querySelector('.tool-result')?.textContent, 'exit 0 · 100 lines');
    assert.equal(readEl!.querySelector('.tool-result')?.textContent, '2 lines');
    assert.ok(readEl!.querySelector('.codicon-file'));
    assert.equal(failingEl!.querySelector('.tool-result')?.textContent, 'exit 2 · 1 line');
    assert.ok(failingEl!.querySelector('.tool-result')!.classList.contains('tone-warn'));
    assert.equal(brokenEl!.querySelector('.tool-result')?.textContent, 'old_string was not found in src/date.ts. It must match the file exactly');
    assert.ok(brokenEl!.querySelector('.tool-result')!.classList.contains('tone-error'), 'an error reads in the error colour');
    assert.equal(brokenEl!.querySelector('.diff'), null, 'a failed edit shows no diff of what did not happen');

    assert.equal(bashEl!.querySelector('pre.output'), null, 'closed: no output in the DOM');
    assert.equal(line(bashEl).getAttribute('aria-expanded'), 'false');
    const region = m.doc.getElementById(line(bashEl).getAttribute('aria-controls')!)!;
    assert.ok(region.hidden);
    line(bashEl).click();
    assert.equal(line(m.$$('.item.tool')[0]).getAttribute('aria-expanded'), 'true');
    assert.equal(region.querySelector('pre.tool-input')?.textContent, 'npm test');
    const out = region.querySelector('pre.output')!;
    assert.match(out.textContent!, /^line 1\n/);
    assert.doesNotMatch(out.textContent!, /line 100/);
    const more = region.querySelector<HTMLButtonElement>('.show-all')!;
    assert.equal(more.textContent, 'Show all 100 lines');
    more.click();
    assert.match(region.querySelector('pre.output')!.textContent!, /line 100$/);
    assert.deepEqual((m.state() as { expanded: string[] }).expanded, [`${bash.id}:open`, `${bash.id}:output`]);
    line(bashEl).click();
    assert.ok(region.hidden, 'a second click closes it');

    m.$$('.item.tool')[1]!.querySelector<HTMLButtonElement>('button.open-file')!.click();
    assert.deepEqual(m.posted.at(-1), { type: 'openFile', path: 'src/date.ts' });
  });

  it('puts the output\'s copy button in a bar above the text, not over it', () => {
    m = mountPanel();
    const log = new EventLog();
    const use = log.tool('bash', { command: 'ls' });
    log.result(use.id, 'a.txt\nb.txt');
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    m.$('.tool-line').click();
    const copy = m.$('.item.tool button.copy-output');
    assert.ok(copy.closest('.detail-label'), 'in the label bar');
    assert.equal(copy.closest('pre'), null);
    assert.equal(copy.getAttribute('aria-label'), 'Copy bash output');
    assert.ok(copy.querySelector('.codicon-copy'));
    copy.click();
    assert.deepEqual(m.posted.at(-1), { type: 'copy', text: 'a.txt\nb.txt' });
  });

  it('shows an edit as a coloured diff with line numbers from the tool\'s snippet, and a new file as added lines only', () => {
    m = mountPanel();
    const log = new EventLog();
    const edit = log.tool('edit', { file_path: 'src/date.ts', old_string: 'const a = 1;\nconst b = 2;\nconst c = 3;', new_string: 'const a = 1;\nconst b = 20;\nconst c = 3;\nconst d = 4;' });
    log.result(edit.id, 'Edited src/date.ts: replaced 1 occurrence. Around the change it now reads:\n     9\t// header\n    10\tconst a = 1;\n    11\tconst b = 20;\n    12\tconst c = 3;\n    13\tconst d = 4;\n    14\t');
    const write = log.tool('write', { file_path: 'src/new.ts', content: 'export {};\nconsole.log(1);\n' });
    log.result(write.id, 'Wrote 28 bytes to src/new.ts (new file).');
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    const [editEl, writeEl] = m.$$('.item.tool');
    assert.equal(editEl!.querySelector('.tool-result')?.textContent, '+2 −1');
    const rows = [...editEl!.querySelectorAll('.diff-line')].map((r) => [r.className.replace('diff-line diff-', ''), r.querySelector('.diff-no')!.textContent, r.querySelector('.diff-sign')!.textContent, r.querySelector('.diff-text')!.textContent]);
    assert.deepEqual(rows, [
      ['ctx', '10', ' ', 'const a = 1;'],
      ['del', '11', '-', 'const b = 2;'],
      ['add', '11', '+', 'const b = 20;'],
      ['ctx', '12', ' ', 'const c = 3;'],
      ['add', '13', '+', 'const d = 4;'],
    ]);
    assert.equal(editEl!.querySelector('.diff')?.getAttribute('aria-label'), 'src/date.ts: 2 added, 1 removed');
    assert.equal(writeEl!.querySelector('.tool-result')?.textContent, 'new file · +2');
    assert.deepEqual([...writeEl!.querySelectorAll('.diff-line')].map((r) => r.className), ['diff-line diff-add', 'diff-line diff-add'], 'a new file has no removed line');
    assert.equal(writeEl!.querySelector('.diff-no')?.textContent, '1');
  });

  it('caps a long diff at a few lines with "Show all", built only when asked for', () => {
    m = mountPanel();
    const log = new EventLog();
    const content = Array.from({ length: 500 }, (_, i) => `line ${i + 1}`).join('\n');
    const write = log.tool('write', { file_path: 'big.txt', content }, { evaluated_permission: 'ask' });
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    assert.equal(m.$$('.diff-line').length, 12, 'a waiting write already shows what it would write');
    const more = m.$('.diff .show-all');
    assert.equal(more.textContent, 'Show all 500 lines');
    more.click();
    assert.equal(m.$$('.diff-line').length, 500);
    assert.ok((m.state() as { expanded: string[] }).expanded.includes(`${write.id}:diff`));
  });

  it('opens a tool line from the keyboard: it is a button with aria-expanded', () => {
    m = mountPanel();
    const log = new EventLog();
    const use = log.tool('grep', { pattern: 'TODO' });
    log.result(use.id, 'a.ts:1:// TODO\nb.ts:7:// TODO');
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    const toggle = m.$('.tool-line') as HTMLButtonElement;
    assert.equal(toggle.tagName, 'BUTTON');
    assert.equal(toggle.type, 'button', 'Enter and Space activate it natively');
    assert.equal(m.$('.tool-result').textContent, '2 lines');
    toggle.focus();
    assert.equal(m.doc.activeElement, toggle);
    toggle.click();
    assert.equal(toggle.getAttribute('aria-expanded'), 'true');
    assert.equal(m.$('.item.tool pre.output').textContent, 'a.ts:1:// TODO\nb.ts:7:// TODO');
  });

  it('folds model requests: no row once ended, a quiet "Model responding…" while one runs, the turn\'s sum on its end note', () => {
    m = mountPanel();
    const log = new EventLog();
    log.running();
    log.span({ input_tokens: 12_000, output_tokens: 800 }, 3200);
    log.span({ input_tokens: 1000, output_tokens: 200 }, 1000);
    log.idle();
    const live = log.add({ type: 'span.model_request_start' });
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    const spans = m.$$('.item.span');
    assert.deepEqual(spans.map((s) => s.hidden), [true, true, false], 'only the running request shows');
    assert.equal(spans[2]!.textContent, 'Model responding…');
    assert.ok(spans[2]!.querySelector('.codicon-loading'));
    const stats = m.$('.item.note .turn-stats');
    assert.equal(stats.textContent, '2 model requests · 13k in · 1.0k out · $0.054 · 4.2 s');
    assert.equal(stats.title, '1. 12k in · 800 out · $0.048 · 3.2 s\n2. 1.0k in · 200 out · $0.006 · 1.0 s');
    m.send({ type: 'events', events: [log.add({ type: 'span.model_request_end', model_request_start_id: live.id, is_error: false, model_usage: { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } })] });
    assert.ok(m.$$('.item.span').every((s) => s.hidden));
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
    log.idle();
    const pricing = { prices: { ...PRICING.prices, input: 30, output: 150 } };
    m.send({ type: 'init', pricing, session: fakeSession(), events: log.events });
    assert.equal(m.$('.item.note .turn-stats').textContent, '1 model request · 12k in · 800 out · $0.48 · 3.2 s');
    assert.match(m.$('.header .stats').textContent ?? '', / · \$0\.48 · /);
  });

  it('offers rewind and fork beside each step a checkpoint ends, and each posts that checkpoint', () => {
    m = mountPanel();
    const log = new EventLog();
    log.user('edit it');
    const write = log.tool('write', { file_path: 'a.txt', content: 'x' });
    log.result(write.id, 'wrote a.txt');
    const atCall = log.add({ type: 'hangar.checkpoint', checkpoint_id: 'ckpt_call', tree: 'a'.repeat(40), trigger: 'tool_call', tool_use_id: write.id });
    const atIdle = log.add({ type: 'hangar.checkpoint', checkpoint_id: 'ckpt_idle', tree: 'a'.repeat(40), trigger: 'idle', tool_use_id: null });
    log.idle();
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    const tool = m.$('.item.tool');
    tool.querySelector<HTMLButtonElement>('button.rewind')!.click();
    assert.deepEqual(m.posted.at(-1), { type: 'rewind', checkpoint_id: 'ckpt_call' });
    const fork = tool.querySelector<HTMLButtonElement>('button.fork')!;
    assert.match(fork.getAttribute('aria-label') ?? '', /^Fork from after this write call/);
    fork.click();
    assert.deepEqual(m.posted.at(-1), { type: 'fork', at: atCall.id });
    m.$('.item.note button.fork').click();
    assert.deepEqual(m.posted.at(-1), { type: 'fork', at: atIdle.id });
    assert.equal(m.$$('.item.user button.fork').length, 0, 'a step no checkpoint ends has neither action');
  });
});
