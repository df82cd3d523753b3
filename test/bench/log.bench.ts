// Session log benchmark: append rates (durable single, durable group-committed bursts, non-durable), a tool turn's
// appends as the harness makes them against the same calls on a file opened O_DSYNC (every write synced, no
// fdatasync: fewer calls, but the non-durable writes wait for the disk too), and replay of a 100k-event session, each
// next to a raw-fs baseline of the same bytes measured in the same run.
// Run: npx tsx test/bench/log.bench.ts [--events 100000]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acquireLease, SessionLog, type StoredEvent } from '../../src/log';
import { encodeRecord } from '../../src/log/record';
import { newId } from '../../src/wire/ids';
import { measure, printTable, summarize, writeResults, type Row } from './lib';

const REPLAY_EVENTS = Number(process.argv[process.argv.indexOf('--events') + 1]) || 100_000;
const DURABLE_N = 1000;
const NON_DURABLE_N = 5000;
const BURST = 10;
const TURNS = 100;
/**
 * One tool turn's appends, each awaited, durable or not as harness-log.ts decides: the model request's start span and
 * its text written at once, the tool_use fsynced, the request's end span at once, the tool_result fsynced.
 */
const TURN = [false, false, true, false, true];

const WORDS = 'the session log is the truth every state change is an event appended durably before anything acts on it tool result bash grep read write edit file line diff patch model turn cache token'.split(' ');
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const text = (chars: number) => {
  let s = '';
  while (s.length < chars) s += `${WORDS[Math.floor(rand() * WORDS.length)]} `;
  return s.slice(0, chars);
};

/** Event shapes of a real session (wire format), each around 500 bytes of JSON. */
function realisticEvent(i: number): StoredEvent {
  const processed_at = new Date(Date.UTC(2026, 0, 1) + i * 250).toISOString();
  const base = { id: '', processed_at };
  switch (i % 6) {
    case 0:
      return { ...base, type: 'user.message', content: [{ type: 'text', text: text(330) }] };
    case 1:
      return { ...base, type: 'agent.message', content: [{ type: 'text', text: text(330) }] };
    case 2:
      return { ...base, type: 'agent.tool_use', name: 'bash', input: { command: `rg -n "${text(40)}" src | head -50`, timeout_ms: 120000, description: text(180) } };
    case 3:
      return { ...base, type: 'agent.tool_result', tool_use_id: newId('toolu'), is_error: false, content: [{ type: 'text', text: text(290) }] };
    case 4:
      return {
        ...base,
        type: 'span.model_request_end',
        model_request_start_id: newId('sevt'),
        is_error: false,
        model_usage: { input_tokens: 1234 + i, output_tokens: 321, cache_read_input_tokens: 45_000, cache_creation_input_tokens: 2048, speed: 'standard' },
        stop_reason: 'tool_use',
        model: 'claude-sonnet-4-5',
        notes: text(130),
      };
    default:
      return { ...base, type: 'agent.thinking', thinking: text(310), signature: text(40) };
  }
}

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hangar-log-bench-'));
let dirCounter = 0;
const freshDir = () => path.join(tmpRoot, `s${dirCounter++}`);

async function openWriter(dir: string) {
  const lease = await acquireLease(dir, 'bench', { autoRenew: false, ttlMs: 3_600_000 });
  const log = await SessionLog.open(dir, { mode: 'writer', lease });
  return { log, done: async () => (await log.close(), await lease.release()) };
}

const rate = (events: number, totalMs: number) => Math.round((events / totalMs) * 1000);

async function appendBenchmarks(): Promise<Row[]> {
  const rows: Row[] = [];
  const lines = Array.from({ length: NON_DURABLE_N }, (_, i) => Buffer.from(encodeRecord(i, JSON.stringify({ ...realisticEvent(i), id: newId('sevt') }))));
  // Events are built before timing starts, so only append itself is measured.
  const pool = Array.from({ length: NON_DURABLE_N + 100 }, (_, i) => realisticEvent(i));
  let used = 0;
  const nextEvent = () => pool[used++ % pool.length]!;
  const bytes = Math.round(lines.reduce((s, l) => s + l.length, 0) / lines.length);

  const row = (name: string, perEventMs: number[], events: number, totalMs: number, baselines: number[] = []): Row => {
    const s = summarize(perEventMs);
    const r: Row = { case: name, 'bytes/event': bytes, 'p50 µs': s.p50 * 1000, 'p95 µs': s.p95 * 1000, 'events/s': rate(events, totalMs) };
    // Cost ratio per event against the raw loops (sync, async) of the same bytes measured just before.
    if (baselines.length === 2) {
      r['× sync raw'] = baselines[0]! / rate(events, totalMs);
      r['× async raw'] = baselines[1]! / rate(events, totalMs);
    }
    return r;
  };

  /** A raw loop over the same record bytes: sync (writeSync/fdatasyncSync) or async (fs.write/fs.fdatasync callbacks, the log's own I/O path). */
  const raw = async (mode: 'sync' | 'async', syncEvery: number, n: number) => {
    const fd = fs.openSync(`${freshDir()}.raw`, 'a');
    const write = (b: Buffer) => (mode === 'sync' ? fs.writeSync(fd, b) : new Promise<void>((res, rej) => fs.write(fd, b, (e) => (e ? rej(e) : res()))));
    const sync = () => (mode === 'sync' ? fs.fdatasyncSync(fd) : new Promise<void>((res, rej) => fs.fdatasync(fd, (e) => (e ? rej(e) : res()))));
    const per: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      await write(lines[i % lines.length]!);
      if (syncEvery > 0 && i % syncEvery === syncEvery - 1) await sync();
      per.push(performance.now() - s);
    }
    const total = performance.now() - t0;
    fs.closeSync(fd);
    return { per, total, rate: rate(n, total) };
  };
  const baselineRows = async (label: string, syncEvery: number, n: number) => {
    const both = [await raw('sync', syncEvery, n), await raw('async', syncEvery, n)];
    rows.push(row(`raw writeSync${label} (per event)`, both[0]!.per, n, both[0]!.total));
    rows.push(row(`raw fs.write${label} (per event)`, both[1]!.per, n, both[1]!.total));
    return both.map((b) => b.rate);
  };

  {
    const base = await baselineRows(' + fdatasync each', 1, DURABLE_N);
    const { log, done } = await openWriter(freshDir());
    const t0 = performance.now();
    const per = await measure(() => log.append([nextEvent()], { durable: true }), { iterations: DURABLE_N, warmup: 20 });
    rows.push(row('log.append durable, one at a time', per, DURABLE_N + 20, performance.now() - t0, base));
    await done();
  }
  {
    const base = await baselineRows(` + fdatasync per ${BURST}`, BURST, DURABLE_N);
    const { log, done } = await openWriter(freshDir());
    const bursts = DURABLE_N / BURST;
    const t0 = performance.now();
    const perBurst = await measure(
      () => Promise.all(Array.from({ length: BURST }, () => log.append([nextEvent()], { durable: true }))),
      { iterations: bursts, warmup: 2 },
    );
    const r = row(`log.append durable, ${BURST} concurrent (p50/p95 per burst)`, perBurst, (bursts + 2) * BURST, performance.now() - t0, base);
    r['fsyncs/burst'] = log.stats.syncs / (bursts + 2);
    rows.push(r);
    await done();
  }
  {
    const base = await baselineRows(', no sync', 0, NON_DURABLE_N);
    const { log, done } = await openWriter(freshDir());
    const t0 = performance.now();
    const per = await measure(() => log.append([nextEvent()]), { iterations: NON_DURABLE_N, warmup: 50 });
    rows.push(row('log.append non-durable, one at a time', per, NON_DURABLE_N + 50, performance.now() - t0, base));
    await done();
  }
  return rows;
}

/**
 * A tool turn's appends (TURN) three ways, the turns interleaved: through the log (write, then fdatasync for a durable
 * one), the same raw calls, and raw writes to a file opened O_DSYNC (each write durable when it returns, no fdatasync).
 * Ratios against the raw write + fdatasync turn of the same run.
 */
async function turnBenchmark(): Promise<Row[]> {
  const records = TURN.map((_, i) => Buffer.from(encodeRecord(i, JSON.stringify({ ...realisticEvent(i), id: newId('sevt') }))));
  const write = (fd: number, b: Buffer) => new Promise<void>((res, rej) => fs.write(fd, b, (e) => (e ? rej(e) : res())));
  const fdatasync = (fd: number) => new Promise<void>((res, rej) => fs.fdatasync(fd, (e) => (e ? rej(e) : res())));
  const { O_WRONLY, O_APPEND, O_CREAT, O_DSYNC } = fs.constants;
  const plainFd = fs.openSync(`${freshDir()}.raw`, 'a');
  const dsyncFd = fs.openSync(`${freshDir()}.dsync`, O_WRONLY | O_APPEND | O_CREAT | O_DSYNC);
  const { log, done } = await openWriter(freshDir());
  let n = 0;
  const cases = {
    log: async () => {
      for (const durable of TURN) await log.append([realisticEvent(n++)], { durable });
    },
    raw: async () => {
      for (const [i, durable] of TURN.entries()) {
        await write(plainFd, records[i]!);
        if (durable) await fdatasync(plainFd);
      }
    },
    dsync: async () => {
      for (const record of records) await write(dsyncFd, record);
    },
  };
  const samples = { log: [] as number[], raw: [] as number[], dsync: [] as number[] };
  for (let turn = 0; turn < TURNS + 2; turn++) {
    for (const name of ['raw', 'log', 'dsync'] as const) {
      const [ms] = await measure(cases[name], { iterations: 1 });
      if (turn >= 2) samples[name].push(ms!);
    }
  }
  fs.closeSync(plainFd);
  fs.closeSync(dsyncFd);
  await done();
  const durable = TURN.filter(Boolean).length;
  const raw = summarize(samples.raw);
  const row = (name: string, calls: number, syncs: number, s: ReturnType<typeof summarize>): Row => ({
    case: name,
    turns: s.n,
    'calls/turn': calls,
    'disk syncs/turn': syncs,
    'p50 ms': s.p50,
    'p95 ms': s.p95,
    '× raw p50': s.p50 / raw.p50,
    '× raw p95': s.p95 / raw.p95,
  });
  return [
    row('raw write, + fdatasync when durable', TURN.length + durable, durable, raw),
    row('log.append (write, + fdatasync when durable)', TURN.length + durable, durable, summarize(samples.log)),
    row('raw write to an O_DSYNC file (no fdatasync)', TURN.length, TURN.length, summarize(samples.dsync)),
  ];
}

async function replayBenchmark(): Promise<Row[]> {
  const dir = freshDir();
  const { log, done } = await openWriter(dir);
  for (let i = 0; i < REPLAY_EVENTS; i += 1000) {
    await log.append(Array.from({ length: Math.min(1000, REPLAY_EVENTS - i) }, (_, k) => realisticEvent(i + k)));
  }
  await done();
  const file = path.join(dir, 'events.jsonl');
  const size = fs.statSync(file).size;
  const cases: Record<'baseline' | 'reader' | 'writer', () => Promise<void> | void> = {
    baseline: () => {
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      const out: unknown[] = [];
      for (const line of lines) if (line) out.push(JSON.parse(line));
      if (out.length !== REPLAY_EVENTS) throw new Error('baseline parsed the wrong count');
    },
    reader: async () => {
      const r = await SessionLog.open(dir, { mode: 'reader' });
      if (r.length !== REPLAY_EVENTS) throw new Error('reader replayed the wrong count');
      await r.close();
    },
    writer: async () => {
      const w = await openWriter(dir);
      if (w.log.length !== REPLAY_EVENTS) throw new Error('writer replayed the wrong count');
      await w.done();
    },
  };
  // Rounds interleave the three cases so that load from other processes hits them alike.
  const samples = { baseline: [] as number[], reader: [] as number[], writer: [] as number[] };
  for (let round = 0; round < 8; round++) {
    for (const name of ['baseline', 'reader', 'writer'] as const) {
      const [ms] = await measure(cases[name], { iterations: 1 });
      if (round > 0) samples[name].push(ms!);
    }
  }
  const baseline = summarize(samples.baseline);
  const asReader = summarize(samples.reader);
  const asWriter = summarize(samples.writer);
  const mb = size / 1024 / 1024;
  const row = (name: string, s: ReturnType<typeof summarize>): Row => ({
    case: name,
    events: REPLAY_EVENTS,
    MB: mb,
    runs: s.n,
    'p50 ms': s.p50,
    'p95 ms': s.p95,
    'events/s (p50)': Math.round(REPLAY_EVENTS / (s.p50 / 1000)),
    '× baseline': s.p50 / baseline.p50,
  });
  return [
    row('baseline readFileSync + split + JSON.parse per line', baseline),
    row('SessionLog.open reader (read + crc + parse + index)', asReader),
    row('acquireLease + SessionLog.open writer + close + release', asWriter),
  ];
}

try {
  const appends = await appendBenchmarks();
  printTable(`Session log appends (${os.cpus().length} CPU, ${process.platform}, Node ${process.version})`, appends);
  const turns = await turnBenchmark();
  printTable(`A tool turn's appends (${TURN.map((d) => (d ? 'durable' : 'at once')).join(', ')}), each awaited`, turns);
  const replay = await replayBenchmark();
  printTable(`Session log replay of ${REPLAY_EVENTS.toLocaleString('en-US')} events`, replay);
  console.log(`\nresults: ${await writeResults('log', { appends, turns, replay })}`);
} finally {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}
