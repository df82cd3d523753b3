import assert from 'node:assert/strict';
import { reply } from '../../../src/model/scripted';
import type { MessageReply } from '../../../src/model/scripted/script';
import { useCli } from './harness';

// Budgets from the command line (issue #11 §3): `run --budget` (or $HANGAR_BUDGET_USD) caps a session; a spent budget
// ends the command with exit 6 and the hint; `hangar budget ID <dollars>` raises it and follows the turn it held.

// 100,000 input tokens of the default model (Sonnet 5.5, $2 per million): 20 cents a request.
const costly = (r: MessageReply): MessageReply => ({ ...r, usage: { input_tokens: 100_000, output_tokens: 0 } });

describe('cli: session budgets', function () {
  this.timeout(180_000);
  const t = useCli();

  it('stops a run at its budget with exit 6 and the hint, and `hangar budget` raises it and follows the held turn to its end', async () => {
    t.model.push(costly(reply.tool('bash', { command: 'echo one' })), costly(reply.tool('bash', { command: 'echo two' })), reply.text('Finished after the raise.'));
    const r = await t.hangar(['run', '--repo', t.repo, '--budget', '0.30', 'spend']);
    assert.equal(r.code, 6, r.stdout + r.stderr);
    const hint = /Raise it with: (.+) <dollars>\n/.exec(r.stdout)?.[1];
    assert.ok(hint, r.stdout);
    const id = /(sesn_\w+)/.exec(hint)?.[1];
    assert.ok(id);
    const shown = await t.hangar(['budget', id]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`${id}: \\$0\\.30; spent \\$0\\.40`));
    const low = await t.hangar(['budget', id, '0.40']);
    assert.equal(low.code, 2);
    assert.match(low.stderr, /must be above what the session has spent/);
    const raised = await t.hangar(['budget', id, '2']);
    assert.equal(raised.code, 0, raised.stdout + raised.stderr);
    assert.match(raised.stdout, /\$2\.00; spent \$0\.4\d/);
    assert.match(raised.stdout, /Finished after the raise\./);
    assert.equal(t.model.requests.length, 3);
  });

  it('takes the default from HANGAR_BUDGET_USD and refuses malformed amounts before starting anything', async () => {
    t.model.push(costly(reply.tool('bash', { command: 'echo one' })), reply.text('never'));
    const r = await t.hangar(['run', '--repo', t.repo, 'spend'], { HANGAR_BUDGET_USD: '0.10' });
    assert.equal(r.code, 6, r.stdout + r.stderr);
    for (const bad of ['-1', '0', 'ten', '1.234']) {
      const refused = await t.hangar(['run', '--repo', t.repo, '--budget', bad, 'spend']);
      assert.equal(refused.code, 2, `${bad}: ${refused.stdout}${refused.stderr}`);
      assert.match(refused.stderr, /--budget|dollars|budget must/);
    }
    const env = await t.hangar(['run', '--repo', t.repo, 'spend'], { HANGAR_BUDGET_USD: 'lots' });
    assert.equal(env.code, 2);
    assert.match(env.stderr, /HANGAR_BUDGET_USD=lots/);
    assert.equal(t.model.requests.length, 1, 'no refused run asked the model');
  });
});
