// API benchmark: one page of events.list through the official SDK, through a raw keep-alive node:http GET and as
// an in-process call, all in the same run against the same session, so the SDK's and the HTTP layer's costs show
// as differences. Run: npx tsx test/bench/api.bench.ts
import { Agent, request } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import { startApiServer } from '../../src/api';
import { DEFAULT_MODEL } from '../../src/model/types';
import { reply } from '../../src/model/scripted';
import { makeTestRuntime } from '../support/runtime';
import { measure, printTable, summarize, writeResults, type Row } from './lib';

const TURNS = 30;
const PAGE = 100;
const ITERATIONS = 500;

function get(agent: Agent, port: number, path: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { 'x-api-key': token } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

async function main(): Promise<void> {
  const t = await makeTestRuntime({ script: Array.from({ length: TURNS }, (_, i) => reply.text(`reply number ${i}, long enough to look like a sentence.`)) });
  const server = await startApiServer({ runtime: t.runtime });
  const client = new Anthropic({ apiKey: server.token, baseURL: server.url });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const a = await client.beta.agents.create({ name: 'bench', model: DEFAULT_MODEL });
    const session = await client.beta.sessions.create({ agent: a.id, environment_id: t.envId });
    for (let i = 0; i < TURNS; i++) {
      await client.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: `turn ${i}` }] }] });
      await t.runtime.settled(session.id);
    }
    const total = (await t.runtime.sessions.listEvents(session.id, { limit: 1000 })).data.length;
    const path = `/v1/sessions/${session.id}/events?limit=${PAGE}`;
    const bytes = await get(agent, server.port, path, server.token);
    const sdk = summarize(await measure(() => client.beta.sessions.events.list(session.id, { limit: PAGE }), { iterations: ITERATIONS, warmup: 50 }));
    const http = summarize(await measure(() => get(agent, server.port, path, server.token), { iterations: ITERATIONS, warmup: 50 }));
    const direct = summarize(await measure(() => t.runtime.sessions.listEvents(session.id, { limit: PAGE }), { iterations: ITERATIONS, warmup: 50 }));
    const rows: Row[] = [
      { path: 'SDK client.beta.sessions.events.list', n: sdk.n, p50_ms: sdk.p50, p95_ms: sdk.p95, mean_ms: sdk.mean },
      { path: 'raw node:http GET (keep-alive)', n: http.n, p50_ms: http.p50, p95_ms: http.p95, mean_ms: http.mean },
      { path: 'in-process runtime.sessions.listEvents', n: direct.n, p50_ms: direct.p50, p95_ms: direct.p95, mean_ms: direct.mean },
    ];
    printTable(`events.list, one page of ${PAGE} of ${total} events (${bytes} bytes)`, rows);
    console.log(`SDK overhead over raw HTTP at p50: ${(sdk.p50 - http.p50).toFixed(3)} ms; HTTP layer over in-process at p50: ${(http.p50 - direct.p50).toFixed(3)} ms`);
    const file = await writeResults('api', { events: total, page: PAGE, response_bytes: bytes, sdk, http, direct });
    console.log(`results: ${file}`);
  } finally {
    agent.destroy();
    await server.close();
    await t.close();
  }
}

await main();
