import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { encodeRecord, scanRecords } from '../../../src/log/record';
import { readRecordChunks } from '../../../src/log/record-stream';
import { LogCorruptError } from '../../../src/log';
import { eventJsonLines } from '../../../src/runtime/event-lines';
import { withProcessedAt } from '../../../src/runtime/processed-at';
import type { SessionEvent } from '../../../src/wire';
import { tempDir } from '../log/support';

// `hangar events --json` streams a log without folding it: the lines must be exactly what the events list shows
// (queued messages with the start of the model request that took them), whatever the chunk boundaries.

const at = (k: number) => new Date(Date.UTC(2026, 0, 1) + k * 1000).toISOString();
const steer = { content: [{ type: 'text', text: 'steer' }] };

function events(): Record<string, unknown>[] {
  return [
    { id: 'sevt_1', type: 'user.message', processed_at: at(1), ...steer },
    { id: 'sevt_2', type: 'span.model_request_start', processed_at: at(2) },
    { id: 'sevt_3', type: 'user.message', processed_at: null, ...steer },
    { id: 'sevt_4', type: 'agent.tool_use', processed_at: at(4), name: 'write', input: { path: 'a.json', content: '{"processed_at":null}', nested: { processed_at: null } } },
    { id: 'sevt_5', type: 'user.message', processed_at: null, ...steer },
    { id: 'sevt_6', type: 'span.model_request_start', processed_at: at(6), _hangar: { purpose: 'compaction' } },
    { id: 'sevt_7', type: 'span.model_request_start', processed_at: at(7) },
    { id: 'sevt_8', type: 'user.interrupt', processed_at: null },
    { id: 'sevt_9', type: 'agent.message', processed_at: at(9), content: [{ type: 'text', text: 'ünïcødé ✓ "span.model_request_start"' }] },
    { id: 'sevt_10', type: 'user.message', processed_at: null, ...steer },
    { id: 'sevt_11', type: 'agent.message', processed_at: at(11), content: [{ type: 'text', text: 'still queued at the end' }] },
  ];
}

const logText = (list: Record<string, unknown>[]) => list.map((e, i) => encodeRecord(i, JSON.stringify(e))).join('');

/** What the events list shows: the log read whole, each event through withProcessedAt. */
function expected(text: string): string {
  const all = scanRecords<SessionEvent>(Buffer.from(text), { file: 'x', base: 0, firstSeq: 0, known: new Map() }).events;
  return all.map((e, seq) => `${JSON.stringify(withProcessedAt(all, e, seq))}\n`).join('');
}

async function collect(dir: string): Promise<string> {
  let out = '';
  for await (const chunk of eventJsonLines(dir)) out += chunk.toString('utf8');
  return out;
}

describe('event lines streamed from a log', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('are the events list, queued messages with the request that took them (not a compaction), others as stored', async () => {
    const text = logText(events());
    await fsp.writeFile(path.join(dir, 'events.jsonl'), text);
    const out = await collect(dir);
    assert.equal(out, expected(text));
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as SessionEvent);
    assert.equal(lines[2]!.processed_at, at(7));
    assert.equal(lines[4]!.processed_at, at(7));
    assert.equal(lines[7]!.processed_at, null, 'only user.message is queued for the model');
    assert.equal(lines[9]!.processed_at, null, 'no request took it yet');
    assert.equal(lines.length, 11);
  });

  it('are the same whatever the chunks: with and without queued events, and lines held across chunks', async () => {
    const text = logText([...events(), ...events().map((e) => ({ ...e, id: `${String(e.id)}_again` }))]);
    await fsp.writeFile(path.join(dir, 'events.jsonl'), text);
    for (const size of [64, 300, 700, 1 << 20]) {
      let out = '';
      for await (const chunk of eventJsonLines(dir, size)) out += chunk.toString('utf8');
      assert.equal(out, expected(text), `chunks of ${size} bytes`);
    }
  });

  it('an empty log prints nothing; a torn tail (a write cut short) is not printed', async () => {
    await fsp.writeFile(path.join(dir, 'events.jsonl'), '');
    assert.equal(await collect(dir), '');
    const text = logText(events().slice(0, 2));
    await fsp.writeFile(path.join(dir, 'events.jsonl'), `${text}{"s":2,"c":"0000`);
    assert.equal(await collect(dir), expected(text));
  });

  it('reads records across chunk boundaries, one chunk at a time', async () => {
    const text = logText(events());
    await fsp.writeFile(path.join(dir, 'events.jsonl'), text);
    for (const size of [1, 7, 64, 1 << 20]) {
      const seen: string[] = [];
      let chunks = 0;
      for await (const { buf, spans } of readRecordChunks(path.join(dir, 'events.jsonl'), size)) {
        chunks++;
        for (let k = 0; k < spans.length; k += 2) seen.push(buf.toString('utf8', spans[k], spans[k + 1]));
      }
      assert.deepEqual(seen, events().map((e) => JSON.stringify(e)), `chunk size ${size}`);
      if (size === 64) assert.ok(chunks > 1, 'small chunks yield as they go');
    }
  });

  it('damage that valid records follow, or a sequence out of order, is a LogCorruptError naming the line', async () => {
    const lines = logText(events()).split('\n');
    lines[3] = lines[3]!.replace('"write"', '"wrote"');
    await fsp.writeFile(path.join(dir, 'events.jsonl'), lines.join('\n'));
    await assert.rejects(collect(dir), (err: unknown) => err instanceof LogCorruptError && /line 4/.test(err.message) && /checksum mismatch, and valid records follow/.test(err.message));
    const list = events();
    await fsp.writeFile(path.join(dir, 'events.jsonl'), encodeRecord(0, JSON.stringify(list[0])) + encodeRecord(2, JSON.stringify(list[1])));
    await assert.rejects(collect(dir), (err: unknown) => err instanceof LogCorruptError && /sequence number 2 where 1 was expected/.test(err.message));
  });
});
