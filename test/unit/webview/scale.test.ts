import assert from 'node:assert/strict';
import type { SessionEvent } from '../../../src/wire';
import { PAGE } from '../../../webview/ui/stream';
import { EventLog, fakeSession, PRICING } from './fixtures';
import { mountPanel } from './dom-env';
import type { Mounted } from './dom-env';

/** A long agentic session: per step a model span, a tool call with output, and now and then a message. */
function longSession(count: number): SessionEvent[] {
  const log = new EventLog();
  log.running();
  log.user('refactor the whole codebase');
  for (let step = 0; log.events.length < count; step++) {
    log.span({ input_tokens: 1000 + step, output_tokens: 200 });
    const use = log.tool('bash', { command: `npm test -- --grep case-${step}` });
    log.result(use.id, Array.from({ length: 30 }, (_, i) => `ok ${i} case-${step}`).join('\n'));
    if (step % 5 === 0) log.agent(`Step ${step}: **all green**, moving on.\n\n- item\n- item`);
  }
  return log.events.slice(0, count);
}

const nodes = (m: Mounted) => m.doc.getElementsByTagName('*').length;

describe('webview with 10,000 events', function () {
  let m: Mounted;
  // jsdom builds elements far slower than a browser; this guards against a hang, it is not a speed check.
  this.timeout(120_000);
  afterEach(() => m.close());

  it('keeps the DOM bounded when 10,000 events arrive one batch at a time', () => {
    const events = longSession(10_000);
    m = mountPanel();
    m.send({ type: 'init', pricing: PRICING, session: fakeSession({ status: 'running' }), events: events.slice(0, 2) });
    let afterFirst2k = 0;
    for (let i = 2; i < events.length; i += 20) {
      m.app.receive({ type: 'events', events: events.slice(i, i + 20) });
      if (i >= 2000 && !afterFirst2k) afterFirst2k = nodes(m);
    }
    const final = nodes(m);
    assert.equal(m.$$('.stream-list > *').length, PAGE, 'only the newest items are rendered');
    assert.ok(final <= afterFirst2k * 1.1, `DOM grew from ${afterFirst2k} to ${final} nodes`);
    assert.ok(final < 4000, `${final} nodes`);
    assert.match(m.$('.load-earlier').textContent!, /^Load earlier \(\d+ more\)$/);
    const lastTool = events.filter((e) => e.type === 'agent.tool_use').at(-1)!;
    assert.equal(m.$$('.item.tool').at(-1)!.dataset.key, lastTool.id, 'the newest tool call is rendered last');
  });

  it('renders a 10,000-event init as a window and loads earlier items on request', () => {
    const events = longSession(10_000);
    m = mountPanel();
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events });
    assert.equal(m.$$('.stream-list > *').length, PAGE);
    const before = nodes(m);
    assert.ok(before < 4000, `${before} nodes`);
    m.$('.load-earlier').click();
    assert.equal(m.$$('.stream-list > *').length, 2 * PAGE);
    const firstShown = m.$$('.stream-list > *')[0]!.dataset.key;
    m.$('.load-earlier').click();
    assert.equal(m.$$('.stream-list > *').length, 3 * PAGE);
    assert.equal(m.$$('.stream-list > *')[PAGE]!.dataset.key, firstShown, 'earlier items are prepended before the shown ones');
  });
});
