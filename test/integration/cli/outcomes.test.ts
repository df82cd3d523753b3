import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { reply } from '../../../src/model/scripted';
import { useCli } from './harness';

// `hangar run --rubric FILE` (issue #11 §1) through the bundled CLI: the task becomes an outcome, each iteration's
// verdict shows as it comes, a --check that fails keeps the work from being satisfied, and the exit code says whether
// the outcome was met (7: not met). Bad flags are refused before anything starts.

describe('cli: run --rubric', function () {
  this.timeout(180_000);
  const t = useCli();
  const rubricFile = () => {
    const file = path.join(t.home, 'rubric.md');
    writeFileSync(file, '- notes.txt exists\n');
    return file;
  };

  it('shows each verdict and ends satisfied after a revision that made the check pass', async () => {
    // One scripted model serves the agent and the grader in order: agent, grader, agent (revision), grader.
    t.model.push(reply.text('I believe it is done.'), reply.verdict('satisfied', 'Looks fine.'), reply.tool('write', { file_path: 'notes.txt', content: 'notes\n' }), reply.text('Added notes.txt.'), reply.verdict('satisfied', 'notes.txt is there.'));
    const r = await t.hangar(['run', '--repo', t.repo, '--rubric', rubricFile(), '--max-iterations', '4', '--check', 'test -f notes.txt', 'write the notes']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /outcome {2}write the notes \(up to 4 evaluations\)/);
    assert.match(r.stdout, /◆ iteration 1: needs revision\n {2}✗ test -f notes\.txt \(exit 1\)\n {2}Not satisfied: the check `test -f notes\.txt` exited with 1/);
    assert.match(r.stdout, /◆ iteration 2: satisfied\n {2}✓ test -f notes\.txt \(exit 0\)/);
    assert.match(r.stdout, /Outcome satisfied after 2 evaluations\./);
  });

  it('exits 7 when the evaluations run out', async () => {
    t.model.push(reply.text('first'), reply.verdict('needs_revision', 'notes.txt is missing.'), reply.text('Where it stands: no notes.'));
    const r = await t.hangar(['run', '--repo', t.repo, '--rubric', rubricFile(), '--max-iterations', '1', 'write the notes']);
    assert.equal(r.code, 7, r.stdout + r.stderr);
    assert.match(r.stdout, /◆ iteration 1: max iterations reached/);
    assert.match(r.stdout, /Outcome not met \(max iterations reached after 1 evaluation\)\./);
  });

  it('refuses bad flags before anything starts', async () => {
    for (const [args, message] of [
      [['--rubric', rubricFile(), '--max-iterations', '21'], /--max-iterations.*from 1 to 20/],
      [['--rubric', rubricFile(), '--max-iterations', '0'], /--max-iterations.*from 1 to 20/],
      [['--rubric', path.join(t.home, 'missing.md')], /--rubric .*missing\.md: cannot read it \(ENOENT\)/],
      [['--max-iterations', '2'], /go with --rubric FILE/],
      [['--check', 'true'], /go with --rubric FILE/],
    ] as const) {
      const r = await t.hangar(['run', '--repo', t.repo, ...args, 'task']);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const empty = path.join(t.home, 'empty.md');
    writeFileSync(empty, '');
    const r = await t.hangar(['run', '--repo', t.repo, '--rubric', empty, 'task']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /rubric\.content is empty/);
    assert.equal(t.model.requests.length, 0, 'no refused run asked the model');
  });
});
