import assert from 'node:assert/strict';
import { reply } from '../../../src/model/scripted';
import { useCli } from './harness';
import { inTerminal } from './terminal';

// `hangar run` and a running command's live output: the last line shows on a terminal's status line; --json output
// holds events only, unless the user opts into the previews with --live-output.

const SLOW = 'for i in 1 2 3 4; do echo "tick $i"; sleep 0.4; done';

describe('cli: live output of a running command', function () {
  this.timeout(60_000);
  const t = useCli();

  it('--json prints events only; --live-output adds tool_output lines between the tool_use and its result', async () => {
    t.model.push(reply.tool('bash', { command: SLOW }), reply.text('done'));
    const plain = await t.hangar(['--json', 'run', '--repo', t.repo, 'tick']);
    assert.equal(plain.code, 0, plain.stderr);
    const plainTypes = plain.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type);
    assert.ok(plainTypes.includes('agent.tool_result') && !plainTypes.includes('tool_output'), plainTypes.join(', '));

    t.model.push(reply.tool('bash', { command: SLOW }), reply.text('done'));
    const opted = await t.hangar(['--json', '--live-output', 'run', '--repo', t.repo, 'tick']);
    assert.equal(opted.code, 0, opted.stderr);
    const lines = opted.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; tail?: string; tool_use_id?: string; id?: string });
    const use = lines.findIndex((l) => l.type === 'agent.tool_use');
    const result = lines.findIndex((l) => l.type === 'agent.tool_result');
    const previews = lines.flatMap((l, i) => (l.type === 'tool_output' ? [{ l, i }] : []));
    assert.ok(previews.length > 0, opted.stdout);
    assert.ok(previews.every(({ l, i }) => i > use && i < result && l.tool_use_id === lines[use]!.id));
    assert.ok(previews.some(({ l }) => l.tail?.includes('tick 1') && !l.tail.includes('tick 4')), 'shown while it ran');
  });

  it('shows the last printed line on the terminal status line while the command runs', async () => {
    t.model.push(reply.tool('bash', { command: SLOW }), reply.text('done'));
    const term = inTerminal([process.execPath, t.cli, 'run', '--repo', t.repo, 'tick'], t.env({ TERM: 'xterm' }));
    assert.equal(await term.done, 0, term.raw);
    // The status line reads "<spinner> running · … · tick N"; the result's own lines carry no " · " before them.
    assert.match(term.raw, / · tick [123]/);
  });
});
