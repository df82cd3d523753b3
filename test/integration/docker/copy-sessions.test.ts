import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { env, makeRepo, newProvider, ok, requireDocker, retireAll, TIMEOUT } from './helpers';

// Copy mode's sessions one after another on one provider, as the UI suite runs them (in its scenario: a first
// session's rewrite, then a second one started over the user's uncommitted, half-accepted review). Whatever the agent
// writes must show in changes() and the review with the hunks it made, against the files as they were when the
// session started (the host's uncommitted review result included).

const MATH = ['export function add(a, b) {', '  return a - b;', '}', '', 'export function mul(a, b) {', '  return a + b;', '}', '', 'export function neg(a) {', '  return a;', '}', ''].join('\n');
const FIXED = MATH.replace('return a - b', 'return a + b').replace('return a;', 'return -a;');
const REVIEWED = MATH.replace('return a - b', 'return a + b');

const hunks = (patch: string) => patch.split('\n').filter((l) => l.startsWith('@@ ')).length;

describe('docker sandbox: copy mode, sessions one after another', function () {
  this.timeout(TIMEOUT);
  const providers: DockerSandboxProvider[] = [];
  let repo: string;

  before(async () => {
    await requireDocker();
    repo = makeRepo({ 'README.md': '# sample\n', 'src/math.js': MATH });
  });
  after(() => retireAll(providers));

  it("shows each session's rewrite as the hunks it made, against the files as that session found them", async () => {
    const provider = newProvider({ files: 'copy' });
    providers.push(provider);

    const first = await provider.provision({ sessionId: 'copy-seq-1', repoPath: repo, environment: env() });
    assert.deepEqual(await first.changes(), { patch: '', files: [] }, 'an untouched session has no changes');
    await ok(first, 'write', { file_path: 'src/math.js', content: FIXED });
    const one = await first.changes();
    assert.deepEqual(one.files.map((f) => [f.path, f.status, f.additions, f.deletions]), [['src/math.js', 'modified', 2, 2]]);
    assert.equal(hunks(one.patch), 2, one.patch);
    assert.equal((await first.readFile('src/math.js', 'baseline'))?.toString(), MATH);

    // The user accepts one hunk: the next session starts from an uncommitted change, in a volume like the first's.
    fs.writeFileSync(path.join(repo, 'src/math.js'), REVIEWED);
    const second = await provider.provision({ sessionId: 'copy-seq-2', repoPath: repo, environment: env() });
    assert.deepEqual(await second.changes(), { patch: '', files: [] }, "the host's uncommitted change is the second session's baseline");
    assert.equal(await ok(second, 'bash', { command: 'ls -A' }), '.git\nREADME.md\nsrc');
    await ok(second, 'write', { file_path: 'src/math.js', content: FIXED });
    const two = await second.changes();
    assert.deepEqual(two.files.map((f) => [f.path, f.status, f.additions, f.deletions]), [['src/math.js', 'modified', 1, 1]]);
    assert.equal(hunks(two.patch), 1, two.patch);
    assert.equal((await second.readFile('src/math.js', 'baseline'))?.toString(), REVIEWED);
  });
});
