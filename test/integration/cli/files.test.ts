import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reply } from '../../../src/model/scripted';
import { useCli } from './harness';

// Files through the real CLI process: `run --file` mounts files read-only for the agent, `attach` adds one to an
// existing session (named to the model with the next message), `files` lists the outputs the agent left and
// `files --save DIR` downloads them. Bad input: a missing path, a folder, a file over the 500 MB limit, an unknown
// session: each exits 2 with a message and creates no session.

const UPLOADS = '../mnt/session/uploads';
const OUTPUTS = '../mnt/session/outputs';

describe('cli: files in and out of sessions', function () {
  this.timeout(90_000);
  const t = useCli();
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hangar-cli-files-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('mounts --file files, attaches one later, and lists and saves the outputs', async () => {
    writeFileSync(path.join(dir, 'notes.txt'), 'one\ntwo\n');
    writeFileSync(path.join(dir, 'data.csv'), 'a,b\n1,2\n');
    t.model.push(reply.tool('bash', { command: `for f in ${UPLOADS}/*; do cat "$f"; done | sort | tr '\\n' ' '; mkdir -p ${OUTPUTS}/sub && wc -l ${UPLOADS}/* | tail -1 > ${OUTPUTS}/count.txt && printf '%s' nested > ${OUTPUTS}/sub/count.txt` }), reply.text('Counted.'));
    const run = await t.hangar(['--json', 'run', '--repo', t.repo, '--file', path.join(dir, 'notes.txt'), '--file', path.join(dir, 'data.csv'), 'count the lines']);
    assert.equal(run.code, 0, run.stderr);
    const result = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; session_id?: string; content?: Array<{ text?: string }> }).find((e) => e.type === 'agent.tool_result');
    assert.match(result?.content?.[0]?.text ?? '', /^1,2 a,b one two\s*$/, 'both files are readable in the sandbox');
    const id = /"(sesn_\w+)"/.exec(run.stdout)?.[1] ?? /(sesn_\w+)/.exec(run.stdout)?.[1];
    assert.ok(id, run.stdout);

    const list = await t.hangar(['files', id]);
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trim().split('\n');
    assert.equal(lines.length, 2, list.stdout);
    for (const l of lines) assert.match(l, /^file_\w+ +\d+ +\d{4}-\d\d-\d\dT[\d:]+ +count\.txt$/);

    const save = path.join(dir, 'out');
    const saved = await t.hangar(['files', id, '--save', save]);
    assert.equal(saved.code, 0, saved.stderr);
    const names = [...saved.stdout.matchAll(/-> (.+)$/gm)].map((m) => m[1]!);
    assert.equal(names.length, 2, saved.stdout);
    const contents = names.map((n) => readFileSync(n, 'utf8').trim()).sort();
    assert.deepEqual(contents, ['4 total', 'nested'], 'two outputs of one name are both saved, neither overwritten');
    assert.ok(names.every((n) => path.dirname(n) === save));

    // A file attached to the existing session: mounted at once, and the next message names it to the model.
    writeFileSync(path.join(dir, 'late.txt'), 'late\n');
    const attach = await t.hangar(['attach', id, path.join(dir, 'late.txt')]);
    assert.equal(attach.code, 0, attach.stderr);
    const [fileId, mount] = attach.stdout.trim().split(/ +/);
    assert.equal(mount, `/mnt/session/uploads/${fileId}`);
    t.model.push(reply.tool('bash', { command: `cat ${UPLOADS}/${fileId}` }), reply.text('Read.'));
    const next = await t.hangar(['--json', 'send', id, 'read the new file']);
    assert.equal(next.code, 0, next.stderr + next.stdout);
    assert.match(next.stdout, /"text":"late"/, `${next.stdout}\n${next.stderr}`);
    const asked = JSON.stringify(t.model.requests.at(-2)?.body.messages.at(-1));
    assert.match(asked, new RegExp(`attached the file late\\.txt \\(${fileId}\\).*read the new file`));
  });

  it('refuses a missing path, a folder, a file over the limit and an unknown session, creating nothing', async () => {
    const missing = await t.hangar(['run', '--repo', t.repo, '--file', path.join(dir, 'nope.txt'), 'x']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.txt does not exist/);
    const folder = await t.hangar(['run', '--repo', t.repo, '--file', dir, 'x']);
    assert.equal(folder.code, 2);
    assert.match(folder.stderr, /is not a file: attach files one at a time/);
    const big = path.join(dir, 'big.bin');
    writeFileSync(big, '');
    truncateSync(big, 501 * 1024 * 1024);
    const tooBig = await t.hangar(['run', '--repo', t.repo, '--file', big, 'x']);
    assert.equal(tooBig.code, 2);
    assert.match(tooBig.stderr, /big\.bin is 525336576 bytes: The file is larger than this runtime's limit/);
    assert.equal(t.model.requests.length, 0);
    const sessions = await t.hangar(['sessions']);
    assert.match(sessions.stdout, /No sessions yet/);
    const unknown = await t.hangar(['files', 'sesn_011CZzzzzzzzzzzzzzzzzzzz']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /sesn_011CZzzzzzzzzzzzzzzzzzzz/);
  });
});
