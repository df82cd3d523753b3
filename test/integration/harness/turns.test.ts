import assert from 'node:assert/strict';
import { reply } from '../../../src/model/scripted';
import { makeTestRuntime, types, idleAfter, type TestRuntime, type TestRuntimeOptions } from '../../support/runtime';
import { MODEL_APIS } from '../../support/model-apis';
import type { SessionEvent } from '../../../src/wire';

const idle = (e: readonly SessionEvent[]) => e.some((x) => x.type === 'session.status_idle');

for (const api of MODEL_APIS) {
  describe(`harness: turns through the real SDK, scripted model and local sandbox (${api})`, () => {
    const make = (opts: TestRuntimeOptions = {}) => makeTestRuntime({ ...opts, api });
    let t: TestRuntime;
    afterEach(async () => t?.close());

    it('runs a text-only turn and logs the reference event order', async () => {
      t = await make({ script: [reply.text('Hello from the model')] });
      const id = await t.start('say hello');
      const events = await t.waitFor(id, idle);
      assert.deepEqual(types(events), [
        'user.message',
        'session.status_running',
        'span.model_request_start',
        // Claude thinks; a Chat Completions model has no thinking to show.
        ...(api === 'anthropic' ? ['agent.thinking'] : []),
        'agent.message',
        'span.model_request_end',
        'session.status_idle',
      ]);
      const end = events.find((e) => e.type === 'span.model_request_end');
      assert.ok(end?.type === 'span.model_request_end' && end.model_usage.output_tokens > 0);
      const req = t.model.requests[0]!.body;
      assert.equal(req.messages.length, 1);
      assert.match(JSON.stringify(req.system), /repository/);
      const session = await t.runtime.sessions.retrieve(id);
      assert.equal(session.status, 'idle');
      assert.ok(session.usage.output_tokens > 0);
    });

    it('runs tools in the sandbox, feeds results back and records an exact diff', async () => {
      t = await make({
        script: [reply.tool('bash', { command: 'echo made > new.txt && cat README.md' }), reply.tool('edit', { file_path: 'src/app.js', old_string: '"hi"', new_string: '"hello"' }), reply.text('done')],
      });
      const id = await t.start('change things');
      const events = await t.waitFor(id, idle);
      const results = events.filter((e) => e.type === 'agent.tool_result');
      assert.equal(results.length, 2);
      assert.ok(results.every((r) => r.type === 'agent.tool_result' && !r.is_error));
      assert.match(JSON.stringify(results[0]), /# sample/);
      // The second model request saw the first tool's result.
      const second = JSON.stringify(t.model.requests[1]!.body.messages);
      assert.match(second, /tool_result/);
      assert.match(second, /# sample/);
      const changes = await t.runtime.sessions.changes(id);
      assert.deepEqual(changes.files.map((f) => [f.path, f.status]).sort(), [['new.txt', 'added'], ['src/app.js', 'modified']]);
      assert.match(changes.patch, /-console.log\("hi"\);\n\+console.log\("hello"\);/);
    });

    it('asks before an always_ask tool, then runs it on allow', async () => {
      t = await make({ script: [reply.tool('bash', { command: 'echo ok > allowed.txt' }), reply.text('ran it')] });
      const id = await t.start('run', { tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }] });
      let events = await t.waitFor(id, idle);
      const use = events.find((e) => e.type === 'agent.tool_use');
      assert.ok(use?.type === 'agent.tool_use');
      assert.equal(use.evaluated_permission, 'ask');
      const idleEv = events.at(-1);
      assert.ok(idleEv?.type === 'session.status_idle' && idleEv.stop_reason.type === 'requires_action');
      assert.deepEqual(idleEv.stop_reason.type === 'requires_action' && idleEv.stop_reason.event_ids, [use.id]);
      assert.equal((await t.runtime.sessions.changes(id)).files.length, 0, 'nothing ran before the answer');
      await t.runtime.sessions.send(id, [{ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'allow' }]);
      events = await t.waitFor(id, idleAfter(2));
      assert.ok(events.some((e) => e.type === 'agent.tool_result' && !e.is_error));
      assert.deepEqual((await t.runtime.sessions.changes(id)).files.map((f) => f.path), ['allowed.txt']);
    });

    it('shows the deny message to the model and never runs a denied tool', async () => {
      t = await make({ script: [reply.tool('bash', { command: 'touch denied.txt' }), reply.text('ok, I will not')] });
      const id = await t.start('run', { tools: [{ type: 'agent_toolset_20260401', default_config: { permission_policy: { type: 'always_ask' } } }] });
      const first = await t.waitFor(id, idle);
      const use = first.find((e) => e.type === 'agent.tool_use')!;
      await t.runtime.sessions.send(id, [{ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'deny', deny_message: 'not on my machine' }]);
      const events = await t.waitFor(id, idleAfter(2));
      const result = events.find((e) => e.type === 'agent.tool_result');
      assert.ok(result?.type === 'agent.tool_result' && result.is_error);
      assert.match(JSON.stringify(t.model.requests[1]!.body.messages), /not on my machine/);
      assert.equal((await t.runtime.sessions.changes(id)).files.length, 0);
    });

    it('refuses confirmations that answer nothing, with a message that says why', async () => {
      t = await make({ script: [reply.text('hi')] });
      const id = await t.start('hi');
      await t.waitFor(id, idle);
      await assert.rejects(t.runtime.sessions.send(id, [{ type: 'user.tool_confirmation', tool_use_id: 'sevt_nope', result: 'allow' }]), /names no tool call/);
      await assert.rejects(t.runtime.sessions.send(id, [{ type: 'user.custom_tool_result', custom_tool_use_id: 'sevt_nope' }]), /no custom tool call/);
    });

    it('round-trips a custom tool through requires_action', async () => {
      t = await make({ script: [reply.tool('lookup', { q: 'x' }), reply.text('thanks')] });
      const id = await t.start('use lookup', {
        tools: [{ type: 'custom', name: 'lookup', description: 'looks up', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }],
      });
      const first = await t.waitFor(id, idle);
      const use = first.find((e) => e.type === 'agent.custom_tool_use');
      assert.ok(use);
      await t.runtime.sessions.send(id, [{ type: 'user.custom_tool_result', custom_tool_use_id: use.id, content: [{ type: 'text', text: 'answer-42' }] }]);
      await t.waitFor(id, idleAfter(2));
      assert.match(JSON.stringify(t.model.requests[1]!.body.messages), /answer-42/);
    });

    it('answers invalid tool JSON and unknown tools with errors the model can act on', async () => {
      t = await make({
        script: [
          { kind: 'message', blocks: [{ type: 'tool_use_raw', name: 'bash', raw_json: '{"command": ls}' }] },
          reply.tool('teleport', { to: 'mars' }),
          reply.text('recovered'),
        ],
      });
      const id = await t.start('go');
      const events = await t.waitFor(id, idle);
      const results = events.filter((e) => e.type === 'agent.tool_result');
      assert.equal(results.length, 2);
      assert.match(JSON.stringify(results[0]), /not valid JSON/);
      assert.match(JSON.stringify(results[1]), /no tool named \\"teleport\\"/);
      assert.ok(events.some((e) => e.type === 'agent.message'));
      assert.equal(events.at(-1)?.type, 'session.status_idle');
    });

    it('marks prompt-cache breakpoints so the next request reads the cached prefix', async () => {
      t = await make({ script: [reply.tool('bash', { command: 'true' }), reply.text('done')] });
      const id = await t.start('cache me');
      const events = await t.waitFor(id, idle);
      const ends = events.filter((e) => e.type === 'span.model_request_end');
      assert.equal(ends.length, 2);
      assert.ok(ends[1]?.type === 'span.model_request_end' && ends[1].model_usage.cache_read_input_tokens > 0);
    });
  });
}
