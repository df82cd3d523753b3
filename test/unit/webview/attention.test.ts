import assert from 'node:assert/strict';
import type { ModelErrorDetail, SessionErrorObject } from '../../../src/wire';
import { EventLog, fakeSession, PRICING } from './fixtures';
import { mountPanel } from './dom-env';
import type { Mounted } from './dom-env';

// What asks for the user's attention in the panel (issue #12 §5, §6): a session waiting for an answer says so, a tool
// can be allowed for the rest of the session and revoked, and a model failure is one card in plain words with a live
// countdown to its retry and, for a refused key, the button that fixes it.

const T0 = Date.parse('2026-01-05T10:00:00.000Z');

function modelError(log: EventLog, error: SessionErrorObject, detail: ModelErrorDetail) {
  const e = log.add({ type: 'session.error', error });
  return { event: e, errors: { [e.id]: detail } };
}

describe('webview: waiting for you, allow for this session, errors in plain words', () => {
  let m: Mounted;
  afterEach(() => m.close());

  it('says "Waiting for you" while a question waits, and drops the marker once it is answered', () => {
    m = mountPanel();
    const log = new EventLog();
    log.running();
    const use = log.tool('bash', { command: 'git push' }, { evaluated_permission: 'ask' });
    log.idle([use.id]);
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    assert.equal(m.$('.header .status').textContent, 'Waiting for you');
    assert.equal(m.$$('.item.note').filter((n) => n.textContent?.includes('Waiting for you')).length, 1);
    m.send({ type: 'events', events: [log.add({ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'allow' }), log.running()] });
    assert.equal(m.$$('.item.note').filter((n) => n.textContent?.includes('Waiting for you')).length, 0, 'the stale marker is gone');
    assert.equal(m.$('.header .status').textContent, 'Running');
  });

  it('offers "Allow for this session" on a permission prompt, shows the allowance and revokes it', () => {
    m = mountPanel();
    const log = new EventLog();
    const use = log.tool('search', { q: 'x' }, { evaluated_permission: 'ask' });
    log.idle([use.id]);
    const events = log.events.map((e) => (e.id === use.id ? { ...e, type: 'agent.mcp_tool_use', mcp_server_name: 'docs' } : e)) as typeof log.events;
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events });
    assert.equal(m.$('.allowances').hidden, true);
    m.$('.prompt .allow-session').click();
    assert.deepEqual(m.posted.at(-1), { type: 'allowForSession', tool: { name: 'search', mcp_server_name: 'docs' } });
    assert.equal(m.$('.prompts').hidden, true, 'the answered prompt leaves at once');
    m.send({ type: 'allowed', tools: [{ name: 'search', mcp_server_name: 'docs' }] });
    assert.equal(m.$('.allowances').hidden, false);
    assert.equal(m.$('.allowance code').textContent, 'docs/search');
    m.$('[aria-label="Revoke: ask again before docs/search"]').click();
    assert.deepEqual(m.posted.at(-1), { type: 'revokeAllowance', tool: { name: 'search', mcp_server_name: 'docs' } });
    m.send({ type: 'allowed', tools: [] });
    assert.equal(m.$('.allowances').hidden, true);
  });

  it('keeps a model request and its retries on one card whose countdown updates in place', () => {
    let now = T0;
    m = mountPanel(undefined, () => now);
    const log = new EventLog();
    log.running();
    const busy = { type: 'model_overloaded_error', message: 'The model is overloaded (529 overloaded_error: Overloaded).', retry_status: { type: 'retrying' } } as const;
    const first = modelError(log, busy, { kind: 'overloaded', attempt: 1, retry_in_ms: 4000 });
    m.send({ type: 'init', pricing: PRICING, session: fakeSession({ status: 'rescheduling' }), events: log.events, errors: first.errors });
    const card = m.$('.item.error');
    assert.equal(card.querySelector('.who')?.textContent, 'The model is busy');
    assert.ok(card.classList.contains('retrying'), 'a warning while it is retried, not a red error');
    // The error was logged at T0 + 2 s and waits 4 s: at T0 + 3 s, 3 s are left.
    now = T0 + 3000;
    m.send({ type: 'session', session: fakeSession({ status: 'rescheduling' }) });
    const countdown = card.querySelector('.countdown')!;
    assert.equal(countdown.textContent, 'Retrying in 3 s');
    now = T0 + 5500;
    m.send({ type: 'session', session: fakeSession({ status: 'rescheduling' }) });
    assert.equal(m.$('.item.error .countdown'), countdown, 'the same element, updated in place');
    assert.equal(countdown.textContent, 'Retrying in 1 s');

    const second = modelError(log, busy, { kind: 'overloaded', attempt: 2, retry_in_ms: 8000 });
    m.send({ type: 'events', events: [second.event], errors: second.errors });
    assert.equal(m.$$('.item.error').length, 1, 'a retry joins the card, it adds none');
    const [, end] = log.span();
    m.send({ type: 'events', events: [end] });
    assert.equal(m.$$('.item.error').length, 1);
    assert.equal(m.$('.item.error .badge').textContent, 'Recovered after 2 tries');
    assert.equal(m.doc.querySelector('[data-retry-at]'), null, 'nothing counts down any more');
  });

  it('says a refused key plainly, offers Set API Key, and does not claim retries that never happened', () => {
    m = mountPanel();
    const log = new EventLog();
    const auth = modelError(
      log,
      { type: 'model_request_failed_error', message: 'The API key was refused (401 authentication_error: invalid x-api-key).', retry_status: { type: 'exhausted' } },
      { kind: 'auth', attempt: 1 },
    );
    log.add({ type: 'session.status_idle', stop_reason: { type: 'retries_exhausted' } });
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events, errors: auth.errors });
    const card = m.$('.item.error');
    assert.equal(card.querySelector('.who')?.textContent, 'The API key was refused');
    assert.equal(card.querySelector('.badge')?.textContent, 'Stopped');
    assert.doesNotMatch(card.textContent ?? '', /gave up|retries|\{"/i);
    assert.equal(card.querySelector('.error-detail')?.textContent, '401 authentication_error: invalid x-api-key', 'the API\'s own words, once');
    const fix = [...card.querySelectorAll('button')].find((b) => b.textContent === 'Set API Key');
    assert.ok(fix, 'the card has a Set API Key button');
    fix.click();
    assert.deepEqual(m.posted.at(-1), { type: 'setApiKey' });
    assert.equal(m.$$('.item.note').at(-1)?.textContent?.includes('Stopped after an error'), true, 'the turn\'s end claims no retries either');
  });

  it('ends a card whose retry never came (the turn was interrupted while it waited): no countdown is left', () => {
    m = mountPanel();
    const log = new EventLog();
    log.running();
    const error = { type: 'model_rate_limited_error', message: 'The model is rate limited (429 rate_limit_error: slow down).', retry_status: { type: 'retrying' } } as const;
    const busy = modelError(log, error, { kind: 'rate_limited', attempt: 1, retry_in_ms: 30_000 });
    log.add({ type: 'user.interrupt' });
    log.add({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events, errors: busy.errors });
    assert.equal(m.$('.item.error .badge').textContent, 'Stopped');
    assert.equal(m.doc.querySelector('[data-retry-at]'), null);
  });

  it('marks an unclassified error that was retried as recovered once a request succeeds', () => {
    m = mountPanel();
    const log = new EventLog();
    log.running();
    log.add({ type: 'session.error', error: { type: 'model_request_failed_error', message: 'The model refused the effort setting; continuing without it.', retry_status: { type: 'retrying' } } });
    log.span();
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events });
    assert.equal(m.$('.item.error .badge').textContent, 'Recovered');
    assert.equal(m.$('.item.error .plain').textContent, 'The model refused the effort setting; continuing without it.');
  });

  it('names an unreachable model by its address and says when it gave up after retries', () => {
    m = mountPanel();
    const log = new EventLog();
    const down = (attempt: number, retry: 'retrying' | 'exhausted') =>
      modelError(
        log,
        { type: 'model_request_failed_error', message: "Can't reach the model at http://127.0.0.1:9 (ECONNREFUSED).", retry_status: { type: retry } },
        { kind: 'network', attempt, url: 'http://127.0.0.1:9', ...(retry === 'retrying' ? { retry_in_ms: 1000 } : {}) },
      );
    const a = down(1, 'retrying');
    const b = down(2, 'retrying');
    const c = down(3, 'exhausted');
    m.send({ type: 'init', pricing: PRICING, session: fakeSession(), events: log.events, errors: { ...a.errors, ...b.errors, ...c.errors } });
    assert.equal(m.$$('.item.error').length, 1);
    assert.equal(m.$('.item.error .who').textContent, "Can't reach the model at http://127.0.0.1:9");
    assert.equal(m.$('.item.error .badge').textContent, 'Gave up after 3 tries');
  });
});
