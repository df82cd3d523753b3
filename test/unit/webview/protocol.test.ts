import assert from 'node:assert/strict';
import { HostMessage, parseHostMessage, parseWebviewMessage, requestIdOf, WebviewMessage } from '../../../src/protocol/panel';
import type { HostMessageType, WebviewMessageType } from '../../../src/protocol/panel';
import { assertNever } from '../../../src/wire/exhaustive';
import { EventLog, fakeSession, PRICING } from './fixtures';

const log = new EventLog();
log.user('hello');
const [start] = log.span();
log.tool('bash', { command: 'ls' }, { session_thread_id: 'sthr_1' });

const hostSamples: Record<HostMessageType, HostMessage> = {
  init: { type: 'init', pricing: PRICING, session: fakeSession(), events: log.events, threads: [{ session_thread_id: 'sthr_1', agent_name: 'reviewer', status: 'running' }] },
  events: { type: 'events', events: [start], requestModels: { sevt_end: 'claude-opus-4-8' }, modelPricing: { 'claude-opus-4-8': PRICING } },
  preview: { type: 'preview', preview: { type: 'event_delta', event_id: 'sevt_9', delta: { type: 'content_delta', index: 0, content: { type: 'text', text: 'Hel' } } } },
  session: { type: 'session', session: fakeSession({ status: 'running' }) },
  error: { type: 'error', message: 'the log could not be read' },
  changes: { type: 'changes', files: [{ path: 'src/a.ts', status: 'modified', additions: 3, deletions: 1 }] },
  reply: { type: 'reply', id: 'r-7', ok: false, error: 'the session was deleted' },
  allowed: { type: 'allowed', tools: [{ name: 'bash' }, { name: 'search', mcp_server_name: 'docs' }], threads: { sthr_1: [{ name: 'edit' }] } },
  files: { type: 'files', paths: ['README.md', 'src/math.js'] },
  insert: { type: 'insert', text: '@src/math.js (line 3):\n```js\nreturn a - b;\n```\n' },
  showThread: { type: 'showThread', session_thread_id: 'sthr_1' },
  newSession: { type: 'newSession' },
};

const webviewSamples: Record<WebviewMessageType, WebviewMessage> = {
  ready: { type: 'ready', id: 'r-1' },
  send: { type: 'send', id: 'r-2', text: 'also run the linter' },
  interrupt: { type: 'interrupt', id: 'r-1' },
  confirm: { type: 'confirm', id: 'r-3', tool_use_id: 'sevt_1', result: 'deny', deny_message: 'not on main' },
  customToolResult: { type: 'customToolResult', id: 'r-4', custom_tool_use_id: 'sevt_2', text: '42', is_error: false },
  openFile: { type: 'openFile', id: 'r-5', path: 'src/a.ts' },
  openLink: { type: 'openLink', id: 'r-6', href: 'https://example.com/docs' },
  reviewChanges: { type: 'reviewChanges', id: 'r-1' },
  copy: { type: 'copy', id: 'r-8', text: 'some output' },
  allowForSession: { type: 'allowForSession', id: 'r-9', tool: { name: 'bash' } },
  revokeAllowance: { type: 'revokeAllowance', id: 'r-10', tool: { name: 'search', mcp_server_name: 'docs' }, session_thread_id: 'sthr_1' },
  setApiKey: { type: 'setApiKey', id: 'r-11' },
  start: { type: 'start', id: 'r-12', text: 'Fix the failing tests.\nThen run the linter.' },
  rewind: { type: 'rewind', id: 'r-13', checkpoint_id: 'ckpt_011abc' },
  fork: { type: 'fork', id: 'r-14', at: 'sevt_011abc' },
};

describe('panel protocol', () => {
  it('round-trips every host→webview message kind through JSON', () => {
    for (const [type, msg] of Object.entries(hostSamples)) {
      const parsed = parseHostMessage(JSON.parse(JSON.stringify(msg)));
      assert.ok(parsed.ok, `${type}: ${parsed.ok ? '' : parsed.error}`);
      assert.deepEqual(parsed.value, msg);
    }
    assert.equal(Object.keys(hostSamples).length, HostMessage.options.length);
  });

  it('round-trips every webview→host message kind through JSON', () => {
    for (const [type, msg] of Object.entries(webviewSamples)) {
      const parsed = parseWebviewMessage(JSON.parse(JSON.stringify(msg)));
      assert.ok(parsed.ok, `${type}: ${parsed.ok ? '' : parsed.error}`);
      assert.deepEqual(parsed.value, msg);
    }
    assert.equal(Object.keys(webviewSamples).length, WebviewMessage.options.length);
  });

  it('keeps session_thread_id on events so the webview can build thread tabs', () => {
    const parsed = parseHostMessage(JSON.parse(JSON.stringify(hostSamples.init)));
    assert.ok(parsed.ok && parsed.value.type === 'init');
    assert.equal(parsed.value.events.find((e) => e.type === 'agent.tool_use')?.session_thread_id, 'sthr_1');
  });

  const malformed: [string, unknown, RegExp][] = [
    ['not an object', 'init', /type \(none\)/],
    ['null', null, /type \(none\)/],
    ['unknown type', { type: 'explode' }, /type explode.*type/],
    ['init without session', { type: 'init', events: [] }, /session/],
    ['events with a broken event', { type: 'events', events: [{ id: 'x', type: 'agent.message', processed_at: null }] }, /events\.0\.content/],
    ['events with an unknown event type', { type: 'events', events: [{ id: 'x', type: 'agent.teleport', processed_at: null }] }, /events\.0/],
    ['preview of a final event', { type: 'preview', preview: { type: 'agent.message', content: [] } }, /preview/],
    ['a model request naming a model without its pricing', { type: 'events', events: [], requestModels: { sevt_end: 'claude-opus-4-8' }, modelPricing: { 'claude-sonnet-4-5': PRICING } }, /requestModels\.sevt_end: model request sevt_end names model claude-opus-4-8, which modelPricing does not price/],
    ['init naming a request model and no pricing at all', { type: 'init', pricing: PRICING, session: fakeSession(), events: [], requestModels: { sevt_end: 'claude-opus-4-8' } }, /requestModels\.sevt_end/],
    ['a model pricing without prices', { type: 'events', events: [], requestModels: {}, modelPricing: { 'claude-opus-4-8': {} } }, /modelPricing\.claude-opus-4-8\.prices/],
    ["a sub-agent's allowance without a name", { type: 'allowed', tools: [], threads: { sthr_1: [{ name: '' }] } }, /threads\.sthr_1\.0\.name/],
    ['changes with a negative count', { type: 'changes', files: [{ path: 'a', status: 'modified', additions: -1, deletions: 0 }] }, /files\.0\.additions/],
  ];
  for (const [name, raw, pattern] of malformed) {
    it(`rejects a host message: ${name}`, () => {
      const r = parseHostMessage(raw);
      assert.ok(!r.ok);
      assert.match(r.error, /^invalid host→webview message/);
      assert.match(r.error, pattern);
    });
  }

  const badWebview: [string, unknown, RegExp][] = [
    ['empty send', { type: 'send', id: 'r-1', text: '   ' }, /text: text must not be empty/],
    ['confirm with a bad result', { type: 'confirm', id: 'r-1', tool_use_id: 'a', result: 'maybe' }, /result/],
    ['deny_message with allow', { type: 'confirm', id: 'r-1', tool_use_id: 'a', result: 'allow', deny_message: 'no' }, /deny_message is only allowed/],
    ['custom result without is_error', { type: 'customToolResult', id: 'r-1', custom_tool_use_id: 'a', text: '' }, /is_error/],
    ['openFile without a path', { type: 'openFile', id: 'r-1', path: '' }, /path/],
    ['a host message sent the wrong way', { type: 'init' }, /type init/],
    ['a huge send', { type: 'send', id: 'r-1', text: 'x'.repeat(100_001) }, /text/],
    ['a request without an id', { type: 'interrupt' }, /id/],
    ['a revoke naming an empty thread', { type: 'revokeAllowance', id: 'r-1', tool: { name: 'bash' }, session_thread_id: '' }, /session_thread_id/],
  ];
  for (const [name, raw, pattern] of badWebview) {
    it(`rejects a webview message: ${name}`, () => {
      const r = parseWebviewMessage(raw);
      assert.ok(!r.ok);
      assert.match(r.error, /^invalid webview→host message/);
      assert.match(r.error, pattern);
    });
  }

  it('makes a switch without every case fail to compile (assertNever)', () => {
    const handled = (m: WebviewMessage): string => {
      switch (m.type) {
        case 'ready':
        case 'send':
        case 'interrupt':
        case 'confirm':
        case 'customToolResult':
        case 'openFile':
        case 'openLink':
        case 'reviewChanges':
          return m.type;
        default:
          // @ts-expect-error 'copy' is not handled, so m is not never: tsc fails here if assertNever stopped checking.
          return assertNever(m);
      }
    };
    assert.equal(handled({ type: 'ready', id: 'r-1' }), 'ready');
    assert.throws(() => handled({ type: 'copy', id: 'r-2', text: 'x' }), /unhandled value: \{"type":"copy","id":"r-2","text":"x"\}/);
  });

  it('finds the id of a refused request so the host can still answer it', () => {
    assert.equal(requestIdOf({ type: 'send', id: 'r-9', text: '  ' }), 'r-9');
    assert.equal(requestIdOf({ type: 'send', id: 42 }), undefined);
    assert.equal(requestIdOf({ type: 'send', id: '' }), undefined);
    assert.equal(requestIdOf('send'), undefined);
  });

  it('refuses a reply that is neither ok nor an error with a reason', () => {
    assert.ok(!parseHostMessage({ type: 'reply', id: 'r-1', ok: false }).ok);
    assert.ok(!parseHostMessage({ type: 'reply', ok: true }).ok);
  });
});
