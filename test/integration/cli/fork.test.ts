import assert from 'node:assert/strict';
import { reply } from '../../../src/model/scripted';
import { useCli } from './harness';

// `hangar fork ID [--at EVENT]` as a user types it: a new session that continues on its own; bad input exits 2.

describe('cli: hangar fork', function () {
  this.timeout(120_000);
  const t = useCli();

  it('forks a session at an event and the fork continues with its own turn; an unknown event or a deleted session exits 2', async () => {
    t.model.push(reply.tool('write', { file_path: 'a.txt', content: 'a\n' }), reply.text('wrote a'));
    const r = await t.hangar(['run', '--repo', t.repo, 'write a']);
    assert.equal(r.code, 0, r.stderr);
    const id = / apply (sesn_\w+)/.exec(r.stdout)![1]!;
    const events = (await t.hangar(['--json', 'events', id])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; type: string });
    const toolUse = events.find((e) => e.type === 'agent.tool_use')!;

    const asked = t.model.requests.length;
    const forked = await t.hangar(['fork', id, '--at', toolUse.id]);
    assert.equal(forked.code, 0, forked.stderr);
    const forkId = /into (sesn_\w+) /.exec(forked.stdout)?.[1];
    assert.ok(forkId, forked.stdout);
    assert.match(forked.stdout, /\(running\)\. Continue it with: .*send sesn_\w+ 'your message'.* finish that turn with: .*resume sesn_\w+/);
    assert.equal(t.model.requests.length, asked, 'the fork command does not drive the fork: nothing asked the model');
    const cutAt = events.findIndex((e) => e.id === toolUse.id) + 1;
    const copied = (await t.hangar(['--json', 'events', forkId])).stdout.trim().split('\n');
    assert.equal(copied.length, cutAt, 'nothing was appended to the fork: it was not woken');

    // Cut after the tool call, before its result: the fork's turn is unfinished, and resume finishes it on its own.
    t.model.push(reply.text('the fork goes on'));
    const resumed = await t.hangar(['resume', forkId, '--yes']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /the fork goes on/);
    const forkEvents = (await t.hangar(['--json', 'events', forkId])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    assert.equal(forkEvents.filter((e) => e.type === 'agent.tool_result').length, 1, 'the cut call got exactly one result');
    const sourceAfter = (await t.hangar(['--json', 'events', id])).stdout.trim().split('\n');
    assert.equal(sourceAfter.length, events.length, 'the source is as it was');

    const unknown = await t.hangar(['fork', id, '--at', 'sevt_nope']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Event sevt_nope of session/);
    assert.equal((await t.hangar(['delete', id])).code, 0);
    const gone = await t.hangar(['fork', id]);
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, new RegExp(`Session ${id} does not exist`));
  });
});
