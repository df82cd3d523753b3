// Harness benchmark: overhead per turn excluding model time, for each model API (Messages through Hangar's own client,
// anthropic-messages.ts; Chat Completions through the OpenAI-compatible client), a bare request of Hangar's Messages
// client against the same request through the Anthropic SDK, and time from session creation to the first model request
// while the sandbox takes 2 s to provision (brain before hands). Ratios are against baselines measured in the same
// run. Run: npx tsx test/bench/harness.bench.ts [--turns-only]
//
// The per-turn cases run interleaved: each round takes one turn of every case (bare SDK requests and harness turns on
// both APIs), in an order that rotates from round to round, after warm-up rounds. On a shared machine whose load
// drifts, cases run one after another measured the drift (one run said Chat Completions / Messages 0.95x, the next
// 2.54x); interleaved, every case sees the same load, and each ratio is the median of the ratios of the same round.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { Runtime } from '../../src/runtime';
import { createAnthropicModel } from '../../src/model/anthropic';
import { createOpenAiCompatibleClient } from '../../src/model/openai';
import type { ModelClient, ModelStreamEvent } from '../../src/model/types';
import { reply, startScriptedModel, startScriptedOpenAiModel } from '../../src/model/scripted';
import { LocalSandboxProvider } from '../../src/sandbox/local';
import type { SandboxProvider } from '../../src/sandbox/types';
import { MemoryVault } from '../../src/vault/memory';
import { makeRepo } from '../support/runtime';
import { measure, printTable, summarize, writeResults, type Row } from './lib';
import { buildRequest } from '../../src/harness/context';
import type { SessionEvent } from '../../src/wire';

const ROUNDS = 400;
const WARMUP_ROUNDS = 20;

/** Wraps a model client and adds up the time spent waiting for the model's next stream event. */
function timed(inner: ModelClient): { client: ModelClient; waitMs: () => number; reset: () => void } {
  let wait = 0;
  return {
    client: {
      async *stream(req, signal) {
        const it = inner.stream(req, signal)[Symbol.asyncIterator]();
        for (;;) {
          const t0 = performance.now();
          const next = await it.next();
          wait += performance.now() - t0;
          if (next.done) return;
          yield next.value;
        }
      },
    },
    waitMs: () => wait,
    reset: () => (wait = 0),
  };
}

/** A model with zero latency and no HTTP: the stream of a short text reply, prebuilt. */
function instantModel(): ModelClient {
  const events: ModelStreamEvent[] = [
    { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } } } as unknown as ModelStreamEvent,
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '', citations: null } } as unknown as ModelStreamEvent,
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'ok' } } as ModelStreamEvent,
    { type: 'content_block_stop', index: 0 } as ModelStreamEvent,
    { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } } as unknown as ModelStreamEvent,
    { type: 'message_stop' } as ModelStreamEvent,
  ];
  return {
    async *stream() {
      for (const e of events) yield e;
    },
  };
}

async function withRuntime<T>(model: ModelClient, provider: (storage: string) => SandboxProvider, fn: (rt: Runtime, env: string, agent: string, repo: string) => Promise<T>): Promise<T> {
  const storage = mkdtempSync(path.join(os.tmpdir(), 'hangar-bench-'));
  const repo = makeRepo();
  const rt = new Runtime({ storageRoot: storage, vault: new MemoryVault(), sandbox: provider(storage), model, owner: 'bench' });
  try {
    const env = (await rt.environments.ensureDefault()).id;
    const agent = (await rt.agents.create({ name: 'bench', model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401' }] })).id;
    return await fn(rt, env, agent, repo);
  } finally {
    await rt.close();
    rmSync(storage, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  }
}

/** One timed step of a case: its wall time, and the part of it that was not spent waiting for the model. */
interface Sample {
  wall: number;
  overhead: number;
}
type Case = { label: string; step: () => Promise<Sample> };

/** A harness turn on an open session: user.message → idle, the model's wait subtracted. */
function harnessTurn(label: string, rt: Runtime, sessionId: string, model: ReturnType<typeof timed>): Case {
  return {
    label,
    step: async () => {
      model.reset();
      const t0 = performance.now();
      await rt.sessions.send(sessionId, [{ type: 'user.message', content: [{ type: 'text', text: 'hi' }] }]);
      await rt.settled(sessionId);
      const wall = performance.now() - t0;
      return { wall, overhead: wall - model.waitMs() };
    },
  };
}

/** A bare SDK request: all of it is the request, none of it harness. */
function bareRequest(label: string, request: () => Promise<void>): Case {
  return {
    label,
    step: async () => {
      const t0 = performance.now();
      await request();
      return { wall: performance.now() - t0, overhead: 0 };
    },
  };
}

/** Runs the cases in rounds, one step of each per round, the order rotating; returns each case's samples by round. */
async function interleaved(cases: readonly Case[]): Promise<Map<string, Sample[]>> {
  const samples = new Map(cases.map((c) => [c.label, [] as Sample[]]));
  for (let round = -WARMUP_ROUNDS; round < ROUNDS; round++) {
    const shift = ((round % cases.length) + cases.length) % cases.length;
    for (const c of [...cases.slice(shift), ...cases.slice(0, shift)]) {
      const sample = await c.step();
      if (round >= 0) samples.get(c.label)!.push(sample);
    }
  }
  return samples;
}

/** The median over rounds of a/b, each round's own ratio; with the middle half of them, to show how much they spread. */
function pairedRatio(a: readonly number[], b: readonly number[]): { p50: number; p25: number; p75: number } {
  const ratios = a.map((x, i) => x / b[i]!).sort((x, y) => x - y);
  const at = (p: number) => ratios[Math.min(ratios.length - 1, Math.floor(p * ratios.length))]!;
  return { p50: at(0.5), p25: at(0.25), p75: at(0.75) };
}

async function openSession(rt: Runtime, env: string, agent: string, repo: string): Promise<string> {
  return (await rt.sessions.create({ agent, environment_id: env, resources: [{ type: 'local_repository', path: repo }] })).id;
}

const local = (s: string) => new LocalSandboxProvider({ storageRoot: s });

/** Per-turn cost of the harness on both model APIs and of the bare SDK requests, interleaved in the same rounds. */
async function turns(): Promise<Record<string, unknown>> {
  const scripted = await startScriptedModel({ script: () => reply.text('ok') });
  const chatServer = await startScriptedOpenAiModel({ script: () => reply.text('ok') });
  const sdk = new Anthropic({ apiKey: 'k', baseURL: scripted.url, maxRetries: 0 });
  const openai = new OpenAI({ apiKey: 'k', baseURL: chatServer.url, maxRetries: 0 });
  const client = createAnthropicModel({ apiKey: async () => 'k', baseURL: scripted.url });
  const messages = timed(createAnthropicModel({ apiKey: async () => 'k', baseURL: scripted.url }));
  const chat = timed(createOpenAiCompatibleClient({ baseUrl: chatServer.url }));
  const instant = timed(instantModel());
  const L = {
    bare: 'baseline: bare Anthropic SDK request, same reply, no harness',
    bareChat: 'baseline: bare OpenAI SDK request, same reply, no harness',
    client: "bare request through Hangar's Messages client, same reply, no harness",
    messages: 'harness + scripted Messages model over HTTP',
    chat: 'harness + scripted Chat Completions model over HTTP',
    instant: 'harness + in-process zero-latency model',
  };
  try {
    const samples = await withRuntime(messages.client, local, (rtM, envM, agentM, repoM) =>
      withRuntime(chat.client, local, (rtC, envC, agentC, repoC) =>
        withRuntime(instant.client, local, async (rtI, envI, agentI, repoI) =>
          interleaved([
            bareRequest(L.bare, async () => {
              for await (const _e of await sdk.messages.create({ model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], stream: true }));
            }),
            bareRequest(L.client, async () => {
              for await (const _e of client.stream({ model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }, new AbortController().signal));
            }),
            bareRequest(L.bareChat, async () => {
              for await (const _c of await openai.chat.completions.create({ model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } }));
            }),
            harnessTurn(L.messages, rtM, await openSession(rtM, envM, agentM, repoM), messages),
            harnessTurn(L.chat, rtC, await openSession(rtC, envC, agentC, repoC), chat),
            harnessTurn(L.instant, rtI, await openSession(rtI, envI, agentI, repoI), instant),
          ]),
        ),
      ),
    );
    const wall = (label: string) => samples.get(label)!.map((x) => x.wall);
    const overhead = (label: string) => samples.get(label)!.map((x) => x.overhead);
    printTable(`Harness overhead per turn (user.message → idle; model wait subtracted; every event fsynced; ${ROUNDS} interleaved rounds after ${WARMUP_ROUNDS} warm-up)`, [
      ...[L.bare, L.client, L.bareChat].map((label) => ({ case: label, turns: ROUNDS, 'wall p50 ms': summarize(wall(label)).p50, 'wall p95 ms': summarize(wall(label)).p95 })),
      ...[L.messages, L.chat, L.instant].map((label) => {
        const w = summarize(wall(label));
        const o = summarize(overhead(label));
        return { case: label, turns: ROUNDS, 'wall p50 ms': w.p50, 'wall p95 ms': w.p95, 'overhead p50 ms': o.p50, 'overhead p95 ms': o.p95 };
      }),
    ]);
    const ratios = {
      messages_client_vs_bare_sdk: pairedRatio(wall(L.client), wall(L.bare)),
      messages_turn_vs_bare_sdk: pairedRatio(wall(L.messages), wall(L.bare)),
      chat_completions_turn_vs_bare_sdk: pairedRatio(wall(L.chat), wall(L.bareChat)),
      overhead_chat_completions_vs_messages: pairedRatio(overhead(L.chat), overhead(L.messages)),
      overhead_chat_completions_vs_instant: pairedRatio(overhead(L.chat), overhead(L.instant)),
    };
    printTable('Ratios (median of per-round ratios; p25-p75 of them)', Object.entries(ratios).map(([name, r]) => ({ ratio: name, p50: Number(r.p50.toFixed(2)), p25: Number(r.p25.toFixed(2)), p75: Number(r.p75.toFixed(2)) })));
    const summaries = Object.fromEntries(Object.entries(L).map(([key, label]) => [key, { wall: summarize(wall(label)), overhead: summarize(overhead(label)) }]));
    return { rounds: ROUNDS, warmup_rounds: WARMUP_ROUNDS, ...summaries, ratios };
  } finally {
    await scripted.close();
    await chatServer.close();
  }
}

async function main(): Promise<void> {
  const perTurn = await turns();
  if (process.argv.includes('--turns-only')) {
    console.log(`wrote ${await writeResults('harness-turns', { turns: perTurn })}`);
    return;
  }

  // Brain before hands: time from session creation to the first model request, sandbox provisioning 2 s vs 0 s.
  const firstRequest = async (delayMs: number): Promise<number[]> => {
    const samples: number[] = [];
    for (let i = 0; i < 15; i++) {
      const m = await startScriptedModel({ script: [reply.tool('bash', { command: 'true' }), reply.text('done')] });
      await withRuntime(createAnthropicModel({ apiKey: async () => 'k', baseURL: m.url }), (s) => slow(new LocalSandboxProvider({ storageRoot: s }), delayMs), async (rt, env, agent, repo) => {
        const t0 = performance.now();
        const session = await rt.sessions.create({ agent, environment_id: env, resources: [{ type: 'local_repository', path: repo }], initial_events: [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }] });
        while (m.requests.length === 0) await new Promise((r) => setImmediate(r));
        samples.push(m.requests[0]!.at - t0);
        await rt.settled(session.id);
      });
      await m.close();
    }
    return samples;
  };
  const fast = summarize(await firstRequest(0));
  const slowed = summarize(await firstRequest(2000));
  printTable('Session creation → first model request', [
    { sandbox: 'provisioning 0 s (baseline)', n: fast.n, 'p50 ms': fast.p50, 'p95 ms': fast.p95 },
    { sandbox: 'provisioning 2 s', n: slowed.n, 'p50 ms': slowed.p50, 'p95 ms': slowed.p95 },
  ]);
  console.log(`ratio: first request with 2 s sandbox / with instant sandbox (p50) = ${(slowed.p50 / fast.p50).toFixed(2)}x`);

  const building = await requestBuilding();
  const file = await writeResults('harness', {
    request_building: building,
    turns: perTurn,
    first_request_ms: { provisioning_0s: fast, provisioning_2s: slowed, ratio: slowed.p50 / fast.p50 },
    targets: { overhead_p50_ms: 5, first_request_ms: 50 },
  });
  console.log(`wrote ${file}`);
}

/** A log of `turns` tool-loop steps; with thinking, each reply carries a signed thinking block kept for replay. */
function syntheticLog(turns: number, thinking: boolean): SessionEvent[] {
  let n = 0;
  const at = '2026-12-05T00:00:00.000Z';
  const ev = (type: string, fields: Record<string, unknown> = {}) => ({ id: `sevt_${++n}`, type, processed_at: at, ...fields }) as unknown as SessionEvent;
  const usage = { input_tokens: 10, output_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const events: SessionEvent[] = [ev('user.message', { content: [{ type: 'text', text: 'fix the bug' }] })];
  for (let i = 0; i < turns; i++) {
    const start = ev('span.model_request_start');
    const use = ev('agent.tool_use', { name: 'bash', input: { command: `step ${i}` }, evaluated_permission: 'allow' });
    events.push(start);
    if (thinking) events.push(ev('agent.thinking', { _hangar: { blocks: [{ type: 'thinking', thinking: 'plan '.repeat(100), signature: 's'.repeat(344) }] } }));
    events.push(use, ev('span.model_request_end', { model_request_start_id: start.id, is_error: false, model_usage: usage }));
    events.push(ev('agent.tool_result', { tool_use_id: use.id, content: [{ type: 'text', text: 'output '.repeat(50) }] }));
  }
  return events;
}

/** Building one request from the log at 10, 100 and 1,000 turns, thinking kept vs the same log without thinking. */
async function requestBuilding(): Promise<Record<string, unknown>> {
  const input = { model: 'claude-sonnet-5-5', maxTokens: 32_000, system: 'sys', tools: [], thinking: { type: 'adaptive' as const } };
  const rows: Row[] = [];
  const out: Record<string, unknown> = {};
  for (const turns of [10, 100, 1_000]) {
    const iterations = turns >= 1_000 ? 50 : 200;
    const plain = syntheticLog(turns, false);
    const kept = syntheticLog(turns, true);
    const base = summarize(await measure(() => buildRequest(plain, input), { iterations, warmup: 10 }));
    const think = summarize(await measure(() => buildRequest(kept, input), { iterations, warmup: 10 }));
    rows.push({ turns, 'no thinking p50 ms': base.p50, 'no thinking p95 ms': base.p95, 'thinking kept p50 ms': think.p50, 'thinking kept p95 ms': think.p95, 'ratio p50': Number((think.p50 / base.p50).toFixed(2)) });
    out[`turns_${turns}`] = { no_thinking: base, thinking_kept: think, ratio_p50: think.p50 / base.p50 };
  }
  printTable('Request building per turn (whole log → Messages request)', rows);
  return out;
}

function slow(inner: SandboxProvider, ms: number): SandboxProvider {
  return { ...inner, kind: inner.kind, provision: async (spec) => (await new Promise((r) => setTimeout(r, ms)), inner.provision(spec)), destroy: (id) => inner.destroy(id), reap: (l) => inner.reap(l), close: () => inner.close() };
}

void main();
