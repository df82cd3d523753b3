import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { reply, type RecordedRequest } from '../../../src/model/scripted';
import { applyChanges } from '../../../src/review/apply';
import { allSettled, checkBestOf, compareRows, startBestOf } from '../../../src/runtime/best-of';
import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { requireDocker } from '../docker/helpers';

// Best-of-N (issue #13 §4) on both providers: three attempts of one task run at the same time, each in its own
// sandbox; the comparison shows each one's changes, the tests it ran (and how they ended) and its spend; accepting one
// writes exactly its changes to the repository. The scripted model holds each first answer until all three attempts
// have asked, so the attempts provably overlap. The tests are `make test` (the sandbox image has make and node).

const N = 3;
const CHECK = "const n = require('fs').readFileSync('attempt.txt', 'utf8').trim(); process.exit(n === '2' ? 0 : 1);";

function responder(): (req: RecordedRequest) => Promise<ReturnType<typeof reply.text>> {
  let firsts = 0;
  let allAsked: () => void = () => undefined;
  const asked = new Promise<void>((r) => (allAsked = r));
  return async (req) => {
    if (JSON.stringify(req.body.messages).includes('tool_result')) return reply.text('attempt done');
    const k = ++firsts;
    if (k === N) allAsked();
    await asked;
    return reply.tool('bash', { command: `echo ${k} > attempt.txt && make test` });
  };
}

for (const kind of ['local', 'docker'] as const) {
  describe(`best-of: N attempts at once, compared and one accepted (${kind}${kind === 'docker' ? ', Docker required' : ''})`, function () {
    this.timeout(240_000);
    let t: TestRuntime;
    before(async () => {
      if (kind === 'docker') await requireDocker();
      t = await makeTestRuntime({
        script: responder(),
        repoFiles: { Makefile: 'test:\n\tnode check.js\n', 'check.js': CHECK },
        ...(kind === 'docker' ? { provider: (storage: string) => new DockerSandboxProvider({ storageRoot: storage }) } : {}),
      });
    });
    after(async () => t?.close());

    it('runs the attempts in parallel, compares diffs, tests and cost, and applies the chosen one', async () => {
      const agent = await t.agent();
      const first = { type: 'user.message' as const, content: [{ type: 'text' as const, text: 'make the tests pass' }] };
      const ids = await startBestOf(t.runtime.sessions, { n: N, agents: [agent], environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }], title: 'make the tests pass', first });
      assert.equal(new Set(ids).size, N);
      await allSettled(t.runtime.sessions, ids);
      const firstRequests = t.model.requests.filter((r) => !JSON.stringify(r.body.messages).includes('tool_result'));
      assert.equal(firstRequests.length, N, 'every attempt asked once before any got its first answer');

      const rows = await compareRows(t.runtime.sessions, ids);
      const byAttempt = new Map(await Promise.all(rows.map(async (r) => [(await t.runtime.sessions.readFile(r.id, 'attempt.txt', 'current'))!.toString().trim(), r] as const)));
      assert.deepEqual([...byAttempt.keys()].sort(), ['1', '2', '3'], 'each attempt has its own sandbox');
      for (const [k, r] of byAttempt) {
        assert.equal(r.stop, 'end_turn');
        assert.equal(r.files, 1);
        assert.match(r.patch, new RegExp(`\\+${k}\\n`));
        assert.deepEqual(r.tests, [{ command: `echo ${k} > attempt.txt && make test`, passed: k === '2' }]);
        assert.ok(r.tokens > 0 && r.costCents > 0, 'each attempt is priced');
      }

      const chosen = byAttempt.get('2')!;
      const changes = await t.runtime.sessions.changes(chosen.id);
      const applied = await applyChanges(t.repo, changes, (f, side) => t.runtime.sessions.readFile(chosen.id, f, side));
      assert.deepEqual(applied.applied, ['attempt.txt']);
      assert.equal(readFileSync(path.join(t.repo, 'attempt.txt'), 'utf8'), '2\n');
    });

    if (kind === 'local') {
      it('refuses N outside 1-4 with the range', () => {
        for (const n of [0, 5, 1.5]) assert.throws(() => checkBestOf(n), /Best-of takes 1 to 4 attempts/);
        assert.equal(checkBestOf(4), 4);
      });
    }
  });
}
