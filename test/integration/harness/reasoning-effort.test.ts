import assert from 'node:assert/strict';
import { createOpenAiCompatibleClient } from '../../../src/model/openai';
import { reply, startScriptedOpenAiModel, type ScriptedOpenAiModel } from '../../../src/model/scripted';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { EFFORTS, type ModelSpec } from '../../../src/wire/models';
import type { SessionEvent } from '../../../src/wire';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';

// The agent's effort reaches an OpenAI-compatible reasoning model as reasoning_effort (issue #14), over real HTTP
// against the scripted Chat Completions server, which checks its value and, playing
// OpenAI's non-reasoning models, refuses it.

const idle = (events: readonly SessionEvent[]) => events.some((e) => e.type === 'session.status_idle');

/** A catalogue entry for a provider's reasoning model whose override lists every Hangar effort level. */
const QWEN: ModelSpec = {
  name: 'Qwen3',
  contextWindow: 32_768,
  maxOutputTokens: 8_192,
  thinking: 'none',
  efforts: [...EFFORTS],
  defaultEffort: null,
  prices: { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 },
  pricesCheckedAt: '2026-12-06',
  source: 'test',
};

describe('harness: effort as reasoning_effort on an OpenAI-compatible provider', () => {
  let t: TestRuntime | undefined;
  let server: ScriptedOpenAiModel | undefined;
  afterEach(async () => {
    await t?.close();
    await server?.close();
    t = server = undefined;
  });

  async function run(model: string | { id: string; effort: 'low' | 'medium' | 'high' }, opts: { reasoning: boolean; takesEffort?: boolean; provider?: boolean }): Promise<SessionEvent[]> {
    server = await startScriptedOpenAiModel({ reasoning: opts.reasoning, takesEffort: opts.takesEffort, script: [reply.text('answered')] });
    const runtime = opts.provider
      ? { modelProviders: [{ name: 'vllm', kind: 'openai', baseUrl: server.url }], models: { 'vllm/scripted-chat': QWEN } }
      : { model: createOpenAiCompatibleClient({ baseUrl: server.url }) };
    t = await makeTestRuntime({ runtime });
    const id = await t.start('hi', { model });
    await t.waitFor(id, idle);
    return t.events(id);
  }

  it('sends the agent effort to a reasoning model, which accepts it', async () => {
    const events = await run({ id: DEFAULT_MODEL, effort: 'high' }, { reasoning: true });
    assert.deepEqual(server!.rejected, []);
    assert.equal(server!.requests[0]!.chat.reasoning_effort, 'high');
    assert.ok(events.some((e) => e.type === 'agent.message'));
  });

  it('a model that does not reason refuses it: the request is retried without it and answered', async () => {
    const events = await run({ id: DEFAULT_MODEL, effort: 'low' }, { reasoning: false, takesEffort: false });
    assert.match(server!.rejected[0]?.message ?? '', /'reasoning_effort' is not supported with this model/);
    assert.equal(server!.requests.length, 1, 'only the request without it was answered');
    assert.equal(server!.requests[0]!.chat.reasoning_effort, undefined);
    assert.ok(events.some((e) => e.type === 'agent.message'));
  });

  it("a provider's model takes low, medium and high, and refuses other levels when the agent is created", async () => {
    const events = await run({ id: 'vllm/scripted-chat', effort: 'medium' }, { reasoning: true, provider: true });
    assert.equal(server!.requests[0]!.chat.reasoning_effort, 'medium');
    assert.ok(events.some((e) => e.type === 'agent.message'));
    for (const effort of ['xhigh', 'max'] as const) {
      await assert.rejects(t!.agent({ model: { id: 'vllm/scripted-chat', effort } }), new RegExp(`vllm/scripted-chat does not accept effort "${effort}"; use one of low, medium, high`));
    }
  });
});
