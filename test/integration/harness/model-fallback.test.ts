import assert from 'node:assert/strict';
import { reply } from '../../../src/model/scripted';
import { ModelCatalog, type SessionEvent } from '../../../src/wire';
import { makeTestRuntime, idleAfter, type TestRuntime } from '../../support/runtime';

// A model that answers 400 to the thinking or effort parameter although Hangar's catalogue says it takes them (an
// out-of-date catalogue, a proxy in between): the session says so in its log, drops the parameter, and its next
// request is one the strict scripted server accepts (model-settings.ts, issue #16 "Bad input").

const errors = (events: readonly SessionEvent[]) => events.flatMap((e) => (e.type === 'session.error' ? [e.error] : []));

describe('harness: a model that refuses the thinking or effort parameter', () => {
  let t: TestRuntime;
  afterEach(async () => t?.close());

  it('refused thinking and effort: each is reported once, dropped, and the tool loop goes on with valid requests', async () => {
    // The server's model takes neither thinking nor effort; the harness's catalogue says it takes both.
    const catalog = new ModelCatalog({ 'claude-sonnet-5-5': { thinking: 'none', efforts: [] } });
    t = await makeTestRuntime({ script: [reply.tool('bash', { command: 'echo one' }), reply.text('done')], model: { catalog } });
    const id = await t.start('run a command', { model: { id: 'claude-sonnet-5-5', effort: 'low' } });
    const events = await t.waitFor(id, idleAfter(1));
    assert.deepEqual(
      t.model.rejected.map((r) => r.message),
      ['"thinking" is not supported for this model.', 'This model does not support the effort parameter.'],
      'the first request asked for both, the retry for effort only',
    );
    const said = errors(events);
    assert.equal(said.length, 2, JSON.stringify(said));
    assert.match(said[0]!.message, /refused the thinking setting .*"thinking" is not supported.*continuing without it/);
    assert.match(said[1]!.message, /refused the effort setting .*continuing without it/);
    for (const e of said) assert.equal(e.retry_status.type, 'retrying');
    assert.equal(t.model.requests.length, 2, 'the tool loop took two accepted requests');
    for (const r of t.model.requests) {
      assert.equal(r.body.thinking, undefined, 'no thinking after the fallback');
      assert.equal(r.body.output_config, undefined, 'no effort after the fallback');
    }
    const idle = events.at(-1);
    assert.ok(idle?.type === 'session.status_idle' && idle.stop_reason.type === 'end_turn', `the turn ends normally (last: ${idle?.type})`);
    const result = events.find((e) => e.type === 'agent.tool_result');
    assert.ok(result?.type === 'agent.tool_result' && !result.is_error && JSON.stringify(result.content).includes('one'));
  });

  it('an effort value the model does not accept: dropped alone, thinking stays on and is kept through the loop', async () => {
    const catalog = new ModelCatalog({ 'claude-sonnet-5-5': { efforts: ['high'] } });
    t = await makeTestRuntime({ script: [reply.tool('bash', { command: 'echo one' }), reply.text('done')], model: { catalog } });
    const id = await t.start('run a command', { model: { id: 'claude-sonnet-5-5', effort: 'low' } });
    const events = await t.waitFor(id, idleAfter(1));
    assert.deepEqual(t.model.rejected.map((r) => r.message), ['output_config.effort: "low" is not supported by this model. Supported values: high.']);
    const said = errors(events);
    assert.equal(said.length, 1);
    assert.match(said[0]!.message, /refused the effort setting/);
    for (const r of t.model.requests) {
      assert.equal(r.body.thinking?.type, 'adaptive', 'thinking stays on');
      assert.equal(r.body.output_config, undefined);
    }
    assert.equal((t.model.requests[1]!.body.messages.find((m) => m.role === 'assistant')!.content as { type: string }[])[0]!.type, 'thinking');
    assert.ok(events.some((e) => e.type === 'agent.thinking'));
    const idle = events.at(-1);
    assert.ok(idle?.type === 'session.status_idle' && idle.stop_reason.type === 'end_turn');
  });
});
