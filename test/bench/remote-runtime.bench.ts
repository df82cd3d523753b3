// Tool round trip through a detached runtime vs the in-process one (issue #15), in one run on one runtime: a user
// message goes in, the model (scripted) asks for bash, the sandbox runs it, and the client sees agent.tool_result
// (timed to there; the turn's end is awaited untimed).
// In-process: runtime.sessions.send + subscribe (what VS Code does today). Detached: the official SDK over loopback
// HTTP, events.send + the SSE stream (what a window on `hangar serve` would do). Remote: the same over HTTPS with a
// pinned certificate (src/remote/connect.ts). The three alternate turn by turn, so machine noise hits them alike.
// Run: npx tsx test/bench/remote-runtime.bench.ts
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { startApiServer } from '../../src/api';
import { loadServerTls } from '../../src/api/tls';
import { reply, type RecordedRequest } from '../../src/model/scripted';
import { DEFAULT_MODEL } from '../../src/model/types';
import { runtimeClient } from '../../src/remote/connect';
import type { SessionEvent } from '../../src/wire';
import { makeTestRuntime, type TestRuntime } from '../support/runtime';
import { opensslCert } from '../support/tls-certs';
import { printTable, summarize, writeResults, type Row } from './lib';

const TURNS = Number(process.env.BENCH_TURNS ?? 40);
const WARMUP = 3;

/** bash on every user message, a short text after its result. */
function answering(req: RecordedRequest) {
  const last = req.body.messages.at(-1);
  const answered = last?.role === 'user' && typeof last.content !== 'string' && last.content.some((b) => b.type === 'tool_result');
  return answered ? reply.text('done') : reply.tool('bash', { command: 'echo round-trip' });
}

/** One turn; resolves with the ms from sending the message to seeing the tool result, after the turn has ended. */
type Turn = () => Promise<number>;

/** Resolves the next wait on each event of `type` that arrives (a queue, so one that arrives early is not lost). */
class Arrivals {
  private seen = 0;
  private waiters: { n: number; resolve: () => void }[] = [];
  private wanted = 0;
  arrived(): void {
    this.seen++;
    this.waiters = this.waiters.filter((w) => (w.n <= this.seen ? (w.resolve(), false) : true));
  }
  next(): Promise<void> {
    const n = ++this.wanted;
    return n <= this.seen ? Promise.resolve() : new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

async function inProcess(t: TestRuntime, agentId: string): Promise<{ turn: Turn; close(): void }> {
  const session = await t.runtime.sessions.create({ agent: agentId, environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] });
  const results = new Arrivals();
  const idles = new Arrivals();
  const off = await t.runtime.sessions.subscribe(session.id, 0, (e: SessionEvent) => {
    if (e.type === 'agent.tool_result') results.arrived();
    if (e.type === 'session.status_idle') idles.arrived();
  });
  return {
    turn: async () => {
      const got = results.next();
      const idle = idles.next();
      const start = performance.now();
      await t.runtime.sessions.send(session.id, [{ type: 'user.message', content: [{ type: 'text', text: 'run it' }] }]);
      await got;
      const ms = performance.now() - start;
      await idle;
      return ms;
    },
    close: off,
  };
}

async function overApi(client: Anthropic, t: TestRuntime, agentId: string): Promise<{ turn: Turn; close(): void }> {
  const session = await client.beta.sessions.create({ agent: agentId, environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] } as unknown as Anthropic.Beta.Sessions.SessionCreateParams);
  const stream = await client.beta.sessions.events.stream(session.id);
  const results = new Arrivals();
  const idles = new Arrivals();
  void (async () => {
    for await (const e of stream) {
      if (e.type === 'agent.tool_result') results.arrived();
      if (e.type === 'session.status_idle') idles.arrived();
    }
  })().catch(() => undefined);
  return {
    turn: async () => {
      const got = results.next();
      const idle = idles.next();
      const start = performance.now();
      await client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'run it' }] }] });
      await got;
      const ms = performance.now() - start;
      // The turn's end is awaited outside the timing, so the next turn starts on an idle session.
      await idle;
      return ms;
    },
    close: () => stream.controller.abort(),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hangar-bench-tls-'));
  const t = await makeTestRuntime({ script: answering });
  const cert = opensslCert(dir);
  const http = await startApiServer({ runtime: t.runtime });
  const https = await startApiServer({ runtime: t.runtime, tls: await loadServerTls(cert.cert, cert.key) });
  try {
    const agentId = await t.agent({ model: DEFAULT_MODEL });
    const modes = [
      { name: 'in-process (runtime.sessions)', ...(await inProcess(t, agentId)) },
      { name: 'detached: SDK over loopback http', ...(await overApi(runtimeClient({ url: http.url, token: http.token }), t, agentId)) },
      { name: 'remote: SDK over https, pinned', ...(await overApi(runtimeClient({ url: https.url, token: https.token, trust: { pin: cert.fingerprint256 } }), t, agentId)) },
    ];
    const samples = modes.map(() => [] as number[]);
    for (let i = 0; i < WARMUP + TURNS; i++) {
      for (const [m, mode] of modes.entries()) {
        const ms = await mode.turn();
        if (i >= WARMUP) samples[m]!.push(ms);
      }
    }
    const stats = samples.map((s) => summarize(s));
    const base = stats[0]!;
    const rows: Row[] = modes.map((mode, m) => ({ path: mode.name, n: stats[m]!.n, p50_ms: stats[m]!.p50, p95_ms: stats[m]!.p95, mean_ms: stats[m]!.mean, x_in_process_p50: stats[m]!.p50 / base.p50 }));
    printTable(`tool round trip (message sent -> bash -> agent.tool_result seen), ${TURNS} turns each, alternating`, rows);
    const file = await writeResults('remote-runtime', { turns: TURNS, modes: modes.map((m, i) => ({ name: m.name, ...stats[i] })) });
    console.log(`results: ${file}`);
    for (const mode of modes) mode.close();
  } finally {
    await https.close();
    await http.close();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
