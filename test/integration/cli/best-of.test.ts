import assert from 'node:assert/strict';
import { reply } from '../../../src/model/scripted';
import { useCli } from './harness';

// `hangar run --best-of N`: the attempts start at once and end in one table; N out of range is a usage error.

describe('cli: run --best-of', function () {
  this.timeout(120_000);
  const t = useCli();

  it('runs two attempts at once and prints a table of their changes, tests and cost', async () => {
    // Both first answers wait a second, so both attempts have asked before either goes on: they run at once.
    t.model.push(
      { ...reply.tool('bash', { command: 'echo a >> notes.txt && npm test' }), delay_ms: 1000 },
      { ...reply.tool('bash', { command: 'echo b >> notes.txt && npm test' }), delay_ms: 1000 },
      reply.text('done'),
      reply.text('done'),
    );
    const r = await t.hangar(['run', '--repo', t.repo, '--best-of', '2', 'add notes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Started 2 attempts at once: sesn_\w+, sesn_\w+/);
    const rows = r.stdout.split('\n').filter((l) => /^[12] +sesn_/.test(l));
    assert.equal(rows.length, 2, r.stdout);
    for (const row of rows) assert.match(row, /end_turn +1 +\+1 -0 +0\/1 passed \(last failed\) +\$\d/);
    assert.match(r.stdout, /^# +session +model +ended +files +lines +tests +cost +tokens$/m);
    assert.match(r.stdout, /take one with .*apply '?<id>'?/);
  });

  it('refuses N outside 1-4, and --models without --best-of', async () => {
    for (const n of ['0', '5', 'two']) {
      const r = await t.hangar(['run', '--repo', t.repo, '--best-of', n, 'x']);
      assert.equal(r.code, 2, n);
      assert.match(r.stderr, /--best-of takes 1 to 4/);
    }
    const models = await t.hangar(['run', '--repo', t.repo, '--models', 'a,b', 'x']);
    assert.equal(models.code, 2);
    assert.match(models.stderr, /--models goes with --best-of N/);
  });
});
