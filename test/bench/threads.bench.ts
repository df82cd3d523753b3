// Multi-agent benchmark (issue #10): two sub-agents whose every model request takes L ms, delegated at once (parallel)
// and one after the other (sequential: the coordinator waits for the first answer before it starts the second), in
// the same run against the scripted model. Reports the time from the first delegation to the last sub-agent's idle,
// the speed-up, and the coordinator's overhead per delegation (its send_to_agent call logged → the sub-agent's first
// model request started). Run: npx tsx test/bench/threads.bench.ts
import { byAgent, reply, type RecordedRequest, type Reply } from '../../src/model/scripted';
import type { SessionEvent } from '../../src/wire';
import { makeTestRuntime } from '../support/runtime';
import { printTable, summarize, writeResults, type Row } from './lib';

const LATENCY_MS = 400;
const ITERATIONS = 3;
const AGENTS = ['alpha', 'beta'] as const;

const text = (r: RecordedRequest) => JSON.stringify(r.body.messages);
const delegate = (agents: readonly string[]): Reply => ({
  kind: 'message',
  blocks: agents.map((agent) => ({ type: 'tool_use' as const, name: 'send_to_agent', input: { agent, message: `Write ${agent}.txt` } })),
});

/** The coordinator: both at once, or one after the other. */
const coordinator = (parallel: boolean) => (r: RecordedRequest): Reply => {
  const t = text(r);
  const started = AGENTS.filter((a) => t.includes(`agent \\"${a}\\" is working on it`));
  if (started.length === 0) return delegate(parallel ? AGENTS : [AGENTS[0]]);
  if (!parallel && started.length === 1 && t.includes(`done ${AGENTS[0]}`)) return delegate([AGENTS[1]]);
  return reply.text('ok');
};
const member = (name: string) => (r: RecordedRequest): Reply =>
  ({ ...(text(r).includes('tool_result') ? reply.text(`done ${name}`) : reply.tool('write', { file_path: `${name}.txt`, content: 'x\n' })), delay_ms: LATENCY_MS });

const ms = (e: SessionEvent) => Date.parse(e.processed_at ?? '');

async function run(parallel: boolean): Promise<{ wallMs: number; overheadMs: number[] }> {
  const t = await makeTestRuntime({ script: byAgent({ lead: coordinator(parallel), alpha: member('alpha'), beta: member('beta') }) });
  try {
    const ids = await Promise.all(AGENTS.map((name) => t.agent({ name })));
    const lead = await t.agent({ name: 'lead', multiagent: { type: 'coordinator', agents: ids } });
    const s = await t.runtime.sessions.create({ agent: lead, environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] });
    await t.runtime.sessions.send(s.id, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
    await t.runtime.settled(s.id);
    const events = await t.events(s.id);
    const first = events.find((e) => e.type === 'agent.tool_use' && e.name === 'send_to_agent')!;
    const idles = events.filter((e) => e.type === 'session.thread_status_idle' && e._hangar?.thread);
    if (idles.length !== AGENTS.length) throw new Error(`expected ${AGENTS.length} sub-agent idles, got ${idles.length}`);
    const overheadMs = events
      .filter((e) => e.type === 'agent.tool_use' && e.name === 'send_to_agent')
      .map((use) => {
        const created = events.find((e) => e.type === 'session.thread_created' && e._hangar?.delegation === use.id)!;
        const tid = created.type === 'session.thread_created' ? created.session_thread_id : '';
        const start = events.find((e) => e.type === 'span.model_request_start' && e._hangar?.thread === tid)!;
        return ms(start) - ms(use);
      });
    return { wallMs: ms(idles.at(-1)!) - ms(first), overheadMs };
  } finally {
    await t.close();
  }
}

async function main(): Promise<void> {
  const parallel: number[] = [];
  const sequential: number[] = [];
  const overhead: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const p = await run(true);
    const q = await run(false);
    parallel.push(p.wallMs);
    sequential.push(q.wallMs);
    overhead.push(...p.overheadMs, ...q.overheadMs);
  }
  const sp = summarize(parallel);
  const sq = summarize(sequential);
  const so = summarize(overhead);
  const rows: Row[] = [
    { case: `two sub-agents, parallel (2 requests of ${LATENCY_MS} ms each)`, n: sp.n, p50_ms: sp.p50, p95_ms: sp.p95 },
    { case: 'two sub-agents, one after the other', n: sq.n, p50_ms: sq.p50, p95_ms: sq.p95 },
    { case: 'speed-up (sequential p50 / parallel p50)', n: sp.n, p50_ms: sq.p50 / sp.p50 },
    { case: 'coordinator overhead per delegation (call → first request)', n: so.n, p50_ms: so.p50, p95_ms: so.p95 },
  ];
  printTable('Multi-agent: parallel sub-agents', rows);
  console.log(`results: ${await writeResults('threads', { latencyMs: LATENCY_MS, parallel: sp, sequential: sq, speedup: sq.p50 / sp.p50, overhead: so })}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
