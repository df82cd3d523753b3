import assert from 'node:assert/strict';
import { selectionContext } from '../../../src/extension/panel/selection-text';
import { matchFiles, mentionAt } from '../../../webview/ui/mentions';
import { key, mountPanel } from './dom-env';
import type { Mounted } from './dom-env';
import { EventLog, fakeSession, PRICING } from './fixtures';

const FILES = ['README.md', 'src/math.js', 'src/main.ts', 'src/util/format.ts', 'test/math.test.js', 'docs/mathematics.md'];

/** Types text as a user would: the value changes, the caret follows, the textarea fires `input`. */
function type(m: Mounted, input: HTMLTextAreaElement, text: string): void {
  input.value += text;
  input.setSelectionRange(input.value.length, input.value.length);
  input.dispatchEvent(new m.window.Event('input', { bubbles: true }));
}

function mountSession(): { m: Mounted; input: HTMLTextAreaElement } {
  const m = mountPanel();
  const log = new EventLog();
  log.user('fix the tests');
  log.idle();
  m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
  m.send({ type: 'files', paths: FILES });
  return { m, input: m.$('.composer-input') as HTMLTextAreaElement };
}

describe('webview composer', () => {
  let m: Mounted;
  afterEach(() => m.close());

  it('is a multi-line box: Shift+Enter keeps a new line, Enter sends every line, Ctrl+Enter sends too', () => {
    const mounted = mountSession();
    m = mounted.m;
    const { input } = mounted;
    type(m, input, 'first line');
    const newline = key(m, input, 'Enter', { shiftKey: true });
    assert.equal(newline.defaultPrevented, false, 'Shift+Enter is left to the textarea, which adds the line break');
    type(m, input, '\nsecond line');
    key(m, input, 'Enter');
    assert.deepEqual(m.posted.at(-1), { type: 'send', text: 'first line\nsecond line' });
    assert.equal(input.value, '');
    type(m, input, 'again');
    key(m, input, 'Enter', { ctrlKey: true });
    assert.deepEqual(m.posted.at(-1), { type: 'send', text: 'again' });
  });

  it('offers the host\'s files after @, best match first, and inserts the picked path with the keyboard', () => {
    const mounted = mountSession();
    m = mounted.m;
    const { input } = mounted;
    type(m, input, 'look at @mat');
    const list = m.$('.mention-list');
    assert.equal(list.hidden, false);
    assert.equal(input.getAttribute('aria-expanded'), 'true');
    const options = m.$$('.mention-option').map((o) => o.title);
    assert.deepEqual(options, ['src/math.js', 'test/math.test.js', 'docs/mathematics.md', 'src/util/format.ts'], 'names starting with the query first (shorter first), then any path holding it');
    assert.equal(input.getAttribute('aria-activedescendant'), 'mention-0');
    key(m, input, 'ArrowDown');
    assert.equal(m.$('#mention-1').getAttribute('aria-selected'), 'true');
    const enter = key(m, input, 'Enter');
    assert.ok(enter.defaultPrevented);
    assert.equal(input.value, 'look at @test/math.test.js ', 'Enter takes the option instead of sending');
    assert.equal(m.posted.filter((p) => p.type === 'send').length, 0);
    assert.equal(list.hidden, true);
    const draft = m.state() as { draft: string };
    assert.equal(draft.draft, 'look at @test/math.test.js ', 'the draft keeps the mention');
    type(m, input, 'and fix it');
    key(m, input, 'Enter');
    assert.deepEqual(m.posted.at(-1), { type: 'send', text: 'look at @test/math.test.js and fix it' }, 'the path goes to the agent in the message');
  });

  it('closes the list on Escape without interrupting the agent, and takes an option by Tab or click', () => {
    m = mountPanel();
    const log = new EventLog();
    log.running();
    m.send({ type: 'init', pricing: PRICING, session: fakeSession({ status: 'running' }), events: log.events });
    m.send({ type: 'files', paths: FILES });
    const input = m.$('.composer-input') as HTMLTextAreaElement;
    type(m, input, '@READ');
    key(m, input, 'Escape');
    assert.equal(m.$('.mention-list').hidden, true);
    assert.equal(m.posted.filter((p) => p.type === 'interrupt').length, 0, 'Escape was the list\'s');
    type(m, input, 'M');
    key(m, input, 'Tab');
    assert.equal(input.value, '@README.md ');
    type(m, input, '@util');
    m.$('.mention-option').dispatchEvent(new m.window.MouseEvent('mousedown', { bubbles: true, cancelable: true }));
    assert.equal(input.value, '@README.md @src/util/format.ts ');
  });

  it('takes the caret when the view gets the focus and nothing in it has it', () => {
    const mounted = mountSession();
    m = mounted.m;
    assert.notEqual(m.doc.activeElement, mounted.input);
    m.window.dispatchEvent(new m.window.FocusEvent('focus'));
    assert.equal(m.doc.activeElement, mounted.input);
  });

  it('inserts host text (an editor selection) on its own line at the caret', () => {
    const mounted = mountSession();
    m = mounted.m;
    const { input } = mounted;
    type(m, input, 'Why does this fail?');
    const snippet = selectionContext('src/math.js', 3, 4, 'javascript', 'export function add(a, b) {\n  return a - b;\n');
    m.send({ type: 'insert', text: snippet });
    assert.equal(input.value, `Why does this fail?\n${snippet}`);
    assert.equal(input.selectionStart, input.value.length);
    assert.equal(m.doc.activeElement, input);
  });

  it('with no session, is an empty composer whose task starts an agent (and comes back when refused)', async () => {
    m = mountPanel({ sessionId: 'sesn_old', draft: 'old draft', lane: '', expanded: [], scroll: {} });
    m.send({ type: 'newSession' });
    const input = m.$('.composer-input') as HTMLTextAreaElement;
    assert.equal(input.value, '', 'the previous session\'s draft is not a new task');
    assert.match(input.placeholder, /new agent/);
    assert.equal(m.$('.header').hidden, true);
    assert.equal([...m.$$('.composer button')].find((b) => b.textContent === 'Start')?.getAttribute('aria-label'), 'Start an agent with this task');
    type(m, input, 'Add a subtract function.\nWith tests.');
    key(m, input, 'Enter');
    assert.deepEqual(m.posted.at(-1), { type: 'start', text: 'Add a subtract function.\nWith tests.' });
    await m.reply('The agent was not started.');
    assert.equal(input.value, 'Add a subtract function.\nWith tests.');
    assert.equal(m.$('.banner').hidden, false);
  });
});

describe('composer drafts across sessions (the side-bar chat shows one after another in the same webview)', () => {
  let m: Mounted;
  afterEach(() => m.close());

  const draft = (mounted: Mounted, text: string) => {
    const input = mounted.$('.composer-input') as HTMLTextAreaElement;
    input.value = text;
    input.dispatchEvent(new mounted.window.Event('input'));
  };
  /** The next page of the same webview: VS Code gives it the state the previous page saved. */
  const nextPage = (sessionId: string | null) => {
    const saved = m.state();
    m.close();
    m = mountPanel(saved);
    m.send(sessionId === null ? { type: 'newSession' } : { type: 'init', pricing: PRICING, session: fakeSession({ id: sessionId }), events: [] });
    return (m.$('.composer-input') as HTMLTextAreaElement).value;
  };

  it('keeps each session\'s unsent text and the new-session task, and gives each back with its session', () => {
    m = mountPanel();
    m.send({ type: 'init', pricing: PRICING, session: fakeSession({ id: 'sesn_a' }), events: [] });
    draft(m, 'half a thought for a');
    assert.equal(nextPage('sesn_b'), '', 'another session starts with its own empty box');
    draft(m, 'for b');
    assert.equal(nextPage(null), '');
    draft(m, 'a new task');
    assert.equal(nextPage('sesn_a'), 'half a thought for a');
    assert.equal(nextPage('sesn_b'), 'for b');
    assert.equal(nextPage(null), 'a new task');
  });
});

describe('mention matching', () => {
  it('finds the mention being typed at the caret, only after a space or at the start', () => {
    assert.deepEqual(mentionAt('see @src/ma', 11), { start: 4, query: 'src/ma' });
    assert.deepEqual(mentionAt('@', 1), { start: 0, query: '' });
    assert.equal(mentionAt('mail me at a@b', 14), null, 'an address is not a mention');
    assert.equal(mentionAt('@src/math.js done', 17), null, 'the caret left the mention');
  });

  it('ranks name matches over folder matches over anywhere, and caps the list', () => {
    assert.deepEqual(matchFiles(FILES, 'src/'), ['src/main.ts', 'src/math.js', 'src/util/format.ts']);
    assert.deepEqual(matchFiles(FILES, 'form'), ['src/util/format.ts']);
    assert.equal(matchFiles(Array.from({ length: 50 }, (_, i) => `f${i}.ts`), 'f').length, 8);
  });

  it('writes a selection with its file and lines in a fence longer than any backticks inside', () => {
    assert.equal(selectionContext('a.md', 2, 2, 'markdown', 'use ```js here'), '@a.md (line 2):\n````markdown\nuse ```js here\n````\n');
  });
});
