import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { reply } from '../../../src/model/scripted';
import { encodeRecord } from '../../../src/log/record';
import { SessionIndex } from '../../../src/runtime/session-index';
import { storedSessionsCatalog } from '../../../src/runtime/stored-catalog';
import type { Session } from '../../../src/wire';
import { makeTestRuntime, idleAfter, type TestRuntime } from '../../support/runtime';

// The storage-wide list index (<sessions>/index.tsv) and each session's summary.json are caches of the records and
// logs: whatever a crash, a second process or a user does to them, a listing shows what the records and logs say.

const WRITER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'list-writer.ts');
const run = promisify(execFile);

describe('crash: the session list index and summaries', function () {
  this.timeout(120_000);
  let t: TestRuntime;

  beforeEach(async () => {
    t = await makeTestRuntime({ script: () => reply.text('done') });
  });
  afterEach(async () => t.close());

  const sessionsDir = () => path.join(t.storage, 'sessions');
  const indexFile = () => path.join(sessionsDir(), 'index.tsv');
  const newSession = async () => (await t.runtime.sessions.create({ agent: await t.agent(), environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] })).id;
  const view = (s: Session) => ({ id: s.id, status: s.status, input: s.usage.input_tokens, output: s.usage.output_tokens, archived: s.archived_at !== null });
  /** A session directory copied by hand under a new id, as a creation cut short before its line would leave it. */
  const copySession = async (from: string, id: string) => {
    await fsp.cp(path.join(sessionsDir(), from), path.join(sessionsDir(), id), { recursive: true });
    const record = path.join(sessionsDir(), id, 'session.json');
    await fsp.writeFile(record, JSON.stringify({ ...JSON.parse(await fsp.readFile(record, 'utf8')), id }));
  };
  const listAll = async (rt = t.runtime, q: { include_archived?: boolean; order?: 'asc' | 'desc' } = {}) => {
    const out: Session[] = [];
    for (let page: string | undefined; ; ) {
      const res = await rt.sessions.list({ limit: 3, page, ...q });
      out.push(...res.data);
      if (!res.next_page) return out;
      page = res.next_page;
    }
  };

  it('a log that grew after its summary was stored (a crash between the append and the summary) is folded on from the summary', async () => {
    const id = await newSession();
    await t.runtime.sessions.send(id, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
    await t.waitFor(id, idleAfter(1));
    const before = await t.runtime.sessions.retrieve(id);
    await t.runtime.close();
    const summaryFile = path.join(sessionsDir(), id, 'summary.json');
    const stored = JSON.parse(await fsp.readFile(summaryFile, 'utf8')) as { position: { count: number }; summary: { status: string } };
    assert.equal(stored.summary.status, 'idle', 'the summary was stored when the session was released');
    // What a process that appended and died before storing the summary leaves: the log is ahead of summary.json.
    const log = path.join(sessionsDir(), id, 'events.jsonl');
    const count = stored.position.count;
    await fsp.appendFile(log, encodeRecord(count, JSON.stringify({ id: 'sevt_late_running', type: 'session.status_running', processed_at: new Date().toISOString() })));
    const next = t.reopen('after-crash');
    const [listed] = (await next.sessions.list({})).data;
    assert.equal(listed?.status, 'running');
    assert.equal(listed?.usage.input_tokens, before.usage.input_tokens, 'usage before the summary is kept');
    const repaired = JSON.parse(await fsp.readFile(summaryFile, 'utf8')) as { position: { count: number }; summary: { status: string } };
    assert.deepEqual([repaired.position.count, repaired.summary.status], [count + 1, 'running'], 'the summary was repaired');
    // A log rewritten in place behind the summary's back (same size, a byte of its first record changed) is folded
    // from the start, so the damage shows.
    const [head, ...rest] = (await fsp.readFile(log, 'utf8')).split('\n');
    await fsp.writeFile(log, [head!.replace('"processed_at":"2', '"processed_at":"3'), ...rest].join('\n'));
    const damaged = await t.reopen('after-edit').sessions.list({});
    assert.deepEqual(damaged.data, []);
    assert.match(damaged.damaged[0]?.problem ?? '', /checksum mismatch/);
  });

  it('an archive cut short after its record (no index line) and a create cut short before its line are listed from the records', async () => {
    const kept = await newSession();
    const archived = await newSession();
    const unindexed = await newSession();
    await t.runtime.close();
    // The archive's record write happened; its index line did not.
    const record = path.join(sessionsDir(), archived, 'session.json');
    await fsp.writeFile(record, JSON.stringify({ ...JSON.parse(await fsp.readFile(record, 'utf8')), archived_at: new Date().toISOString() }));
    // The create's directory was renamed into place; its index line was not written.
    const lines = (await fsp.readFile(indexFile(), 'utf8')).split('\n').filter((l) => !l.includes(unindexed));
    await fsp.writeFile(indexFile(), lines.join('\n'));
    const next = t.reopen('after-crash');
    assert.deepEqual((await listAll(next)).map((s) => s.id).sort(), [kept, unindexed].sort());
    assert.deepEqual((await listAll(next, { include_archived: true })).map((s) => s.id).sort(), [kept, archived, unindexed].sort());
    const index = await fsp.readFile(indexFile(), 'utf8');
    assert.match(index, new RegExp(`${unindexed}\\t`), 'the missing line was written');
    assert.match(index, new RegExp(`${archived}\\t[^\\n]*\\t1\\t\\S+\\t\\S+\\n`), 'the archive was written');
  });

  it('a record or summary the index vouches for is taken as it is only while its file is unchanged: an edited or replaced one is validated again', async () => {
    const [edited, replaced, summarised] = [await newSession(), await newSession(), await newSession()];
    await t.runtime.sessions.send(summarised, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
    await t.waitFor(summarised, idleAfter(1));
    await t.runtime.close();
    // A fresh process validates each file fully once and writes the keys that vouch for them on the session's line.
    const first = t.reopen('first-listing');
    const expected = (await listAll(first)).map(view);
    await first.close();
    const index = await fsp.readFile(indexFile(), 'utf8');
    for (const id of [edited, replaced, summarised]) assert.match(index, new RegExp(`^S\\t${id}\\t.*\\t\\d+:[\\d.]+:\\d+\\t\\d+:[\\d.]+:\\d+$`, 'm'), `keys written for ${id}`);
    // Edited in place (same inode): a field of the wrong type.
    const record = path.join(sessionsDir(), edited, 'session.json');
    await fsp.writeFile(record, JSON.stringify({ ...JSON.parse(await fsp.readFile(record, 'utf8')), created_at: 42 }));
    // Replaced by another program's file.
    const foreign = path.join(sessionsDir(), replaced, 'session.json');
    await fsp.writeFile(`${foreign}.new`, JSON.stringify({ hello: 'world' }));
    await fsp.rename(`${foreign}.new`, foreign);
    // A summary edited into one no fold can make: ignored, and the session folded from its log again.
    const summary = path.join(sessionsDir(), summarised, 'summary.json');
    const body = JSON.parse(await fsp.readFile(summary, 'utf8')) as { summary: object };
    await fsp.writeFile(summary, JSON.stringify({ ...body, summary: { ...body.summary, status: 'exploded' } }));
    const after = t.reopen('after-edits');
    const page = await after.sessions.list({});
    await after.close();
    assert.deepEqual(page.damaged.map((d) => d.id).sort(), [edited, replaced].sort());
    assert.match(page.damaged.find((d) => d.id === edited)?.problem ?? '', /created_at/);
    assert.deepEqual(page.data.map(view), expected.filter((s) => s.id === summarised));
  });

  it('a deleted, emptied or garbled index, and deleted or torn summaries, are rebuilt: the listing is the same', async () => {
    const ids = [await newSession(), await newSession(), await newSession(), await newSession()];
    await t.runtime.sessions.send(ids[1]!, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
    await t.waitFor(ids[1]!, idleAfter(1));
    await t.runtime.sessions.archive(ids[2]!);
    const expected = (await listAll(t.runtime, { include_archived: true })).map(view);
    assert.equal(expected.length, 4);
    await t.runtime.close();
    for (const [label, damage] of [
      ['deleted', () => fsp.rm(indexFile())],
      ['emptied', () => fsp.writeFile(indexFile(), '')],
      ['garbled', () => fsp.writeFile(indexFile(), 'S\tsesn_x\tnot\ta line\n\u0000\u0001garbage{"id":\n')],
      ['summaries deleted', () => Promise.all(ids.map((id) => fsp.rm(path.join(sessionsDir(), id, 'summary.json'), { force: true })))],
      ['summaries torn', () => Promise.all(ids.map((id) => fsp.writeFile(path.join(sessionsDir(), id, 'summary.json'), '{"v":1,"pri')))],
    ] as const) {
      await damage();
      const rt = t.reopen(`after-${label}`);
      assert.deepEqual((await listAll(rt, { include_archived: true })).map(view), expected, label);
      assert.deepEqual((await listAll(rt)).map((s) => s.id), expected.filter((s) => !s.archived).map((s) => s.id), `${label}: archived sessions are left out`);
      await rt.close();
    }
    const index = await fsp.readFile(indexFile(), 'utf8');
    for (const id of ids) assert.match(index, new RegExp(`^S\\t${id}\\t`, 'm'), 'rebuilt with every session');
  });

  it('two processes creating and archiving sessions at once: every session is listed once, archives respected, no torn line', async () => {
    const agent = await t.agent();
    const first = await newSession();
    const writers = await Promise.all([0, 1].map(() => run(process.execPath, ['--import', 'tsx', WRITER, t.storage, agent, t.envId, t.repo, '12'])));
    const results = writers.map((w) => JSON.parse(w.stdout.trim()) as { made: string[]; archived: string[] });
    const made = [first, ...results.flatMap((r) => r.made)];
    const archived = results.flatMap((r) => r.archived);
    assert.equal(new Set(made).size, 25);
    // This process's listing reads the lines the others appended since its last read.
    assert.deepEqual((await listAll(t.runtime, { include_archived: true })).map((s) => s.id).sort(), [...made].sort());
    assert.deepEqual((await listAll(t.runtime)).map((s) => s.id).sort(), made.filter((id) => !archived.includes(id)).sort());
    const lines = (await fsp.readFile(indexFile(), 'utf8')).split('\n').filter(Boolean);
    for (const line of lines) assert.match(line, /^(S\tsesn_\w+\t\S+\tagent_\w+\t\d+\t[01]\t\S+\t\S+|C\t\d+\t\d+|X\tsesn_\w+)$/, `a whole line: ${line}`);
  });

  it('a directory check lets listings skip reading the directories until a session directory is added or removed behind the index, or a line is lost', async () => {
    const ids = [await newSession(), await newSession(), await newSession()];
    await t.runtime.close();
    // A directory modified within the last second may change again with the same mtime: only a settled one is vouched for.
    const fresh = t.reopen('fresh');
    await fresh.sessions.list({});
    await fresh.close();
    assert.doesNotMatch(await fsp.readFile(indexFile(), 'utf8'), /^C\t/m, 'no check of a directory changed just now');
    const settle = () => fsp.utimes(sessionsDir(), new Date(Date.now() - 10_000), new Date(Date.now() - 10_000));
    await settle();
    const checker = t.reopen('checker');
    assert.equal((await listAll(checker)).length, 3);
    await checker.close();
    assert.match(await fsp.readFile(indexFile(), 'utf8'), /^C\t\d+\t3$/m, 'the check names the sessions it found');
    // A session removed by hand: its directory is gone, and so is it from the listing (and an X line tells the others).
    await fsp.rm(path.join(sessionsDir(), ids[0]!), { recursive: true });
    // A creation cut short after its directory was renamed into place and before its line: a copy under a new id.
    const copy = 'sesn_copy0000000000000000000';
    await fsp.cp(path.join(sessionsDir(), ids[1]!), path.join(sessionsDir(), copy), { recursive: true });
    const record = path.join(sessionsDir(), copy, 'session.json');
    await fsp.writeFile(record, JSON.stringify({ ...JSON.parse(await fsp.readFile(record, 'utf8')), id: copy }));
    await settle();
    const after = t.reopen('after-hand-edits');
    assert.deepEqual((await listAll(after)).map((s) => s.id).sort(), [ids[1]!, ids[2]!, copy].sort());
    await after.close();
    const index = await fsp.readFile(indexFile(), 'utf8');
    assert.match(index, new RegExp(`^X\\t${ids[0]}$`, 'm'), 'the removed session is marked gone');
    assert.match(index, new RegExp(`^S\\t${copy}\\t`, 'm'), 'the unindexed session got its line');
    assert.match(index.trimEnd().split('\n').at(-1)!, /^C\t\d+\t3$/, 'a new check vouches for the repaired index');
    // A line lost while the check stays (the directory did not change): the count no longer matches, so the
    // directories are read again and the line is written back.
    await fsp.writeFile(indexFile(), index.split('\n').filter((l) => !l.startsWith(`S\t${ids[2]}\t`)).join('\n'));
    const lost = t.reopen('after-lost-line');
    assert.deepEqual((await listAll(lost)).map((s) => s.id).sort(), [ids[1]!, ids[2]!, copy].sort());
    await lost.close();
    assert.match(await fsp.readFile(indexFile(), 'utf8'), new RegExp(`^S\\t${ids[2]}\\t`, 'm'), 'the lost line was written back');
  });

  it('right after sessions are created or deleted by another process, a listing takes what the index tells at once, and finds a change behind its back within a second', async () => {
    // The runtime is the other process here: this index shares nothing with it but the files.
    const lister = new SessionIndex(sessionsDir(), () => null, () => storedSessionsCatalog(t.storage));
    const listed = async () => (await lister.catalogue()).entries.map((e) => e.id).sort();
    const [a, b, c] = [await newSession(), await newSession(), await newSession()];
    assert.deepEqual(await listed(), [a, b, c].sort(), 'a fresh index reads the directories');
    const copy = 'sesn_copy0000000000000000000';
    await copySession(c, copy);
    await t.runtime.deleteSession(a);
    const d = await newSession();
    assert.match(await fsp.readFile(indexFile(), 'utf8'), new RegExp(`^X\\t${a}$`, 'm'), 'the deletion wrote its line');
    // The directory changed just now, and the index tells of a deletion and a creation: it is taken for the
    // directories, which are not read, so the copy it does not tell of is not listed yet.
    assert.deepEqual(await listed(), [b, c, d].sort());
    // Sessions created one after another keep the directory unsettled; a second after the index was first taken for
    // it, the directories are read all the same.
    await new Promise((r) => setTimeout(r, 1_100));
    const e = await newSession();
    assert.deepEqual(await listed(), [b, c, copy, d, e].sort());
    // A change the index tells nothing of is found by the next listing: a directory without a readable record, damaged.
    await new Promise((r) => setTimeout(r, 50));
    const broken = 'sesn_broken00000000000000000';
    await fsp.mkdir(path.join(sessionsDir(), broken));
    await fsp.writeFile(path.join(sessionsDir(), broken, 'session.json'), '{"id":');
    const after = await lister.catalogue();
    assert.deepEqual(after.damaged.map((x) => x.id), [broken]);
    assert.deepEqual(after.entries.map((x) => x.id).sort(), [b, c, copy, d, e].sort());
  });

  it('a runtime lists the sessions it creates, archives and deletes at once, in order across pages', async () => {
    const ids = [await newSession(), await newSession(), await newSession()];
    const listed = async (q: { include_archived?: boolean; order?: 'asc' | 'desc' } = {}) => (await listAll(t.runtime, q)).map((s) => s.id);
    assert.deepEqual(await listed(), [...ids].reverse());
    const made = [await newSession(), await newSession()];
    assert.deepEqual(await listed(), [...ids, ...made].reverse());
    assert.deepEqual(await listed({ order: 'asc' }), [...ids, ...made]);
    await t.runtime.sessions.archive(ids[1]!);
    assert.deepEqual(await listed(), [ids[0]!, ids[2]!, ...made].reverse());
    assert.deepEqual(await listed({ include_archived: true, order: 'asc' }), [...ids, ...made]);
    await t.runtime.deleteSession(made[0]!);
    await t.runtime.deleteSession(ids[0]!);
    assert.deepEqual(await listed({ include_archived: true, order: 'asc' }), [ids[1]!, ids[2]!, made[1]!]);
  });
});
