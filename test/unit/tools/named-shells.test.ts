import assert from 'node:assert/strict';
import { fixture, text, type Fixture } from './helpers';
import { isAlive } from '../../support/process';

// A ToolHost's named shells (a sub-agent thread's bash): each keeps its own cwd and environment beside the main shell,
// a bad name is refused, closeShell ends one and forgets its state, dispose ends them all.

describe('tools: named shells', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });
  afterEach(async () => f.cleanup());

  const bash = async (command: string, shell?: string) => {
    const out = await f.host.run('bash', { command }, undefined, undefined, shell);
    assert.equal(out.is_error, false, text(out));
    return text(out);
  };

  it('keeps each shell its own cwd and exports', async () => {
    await bash('mkdir a b');
    await bash('cd a; export WHO=a', 'sthr_a');
    await bash('cd b; export WHO=b', 'sthr_b');
    assert.equal(await bash('echo "$(basename "$PWD") $WHO"', 'sthr_a'), 'a a');
    assert.equal(await bash('echo "$(basename "$PWD") $WHO"', 'sthr_b'), 'b b');
    assert.equal(await bash('echo "$(basename "$PWD") ${WHO:-none}"'), 'ws none');
  });

  it('refuses a name that is not a plain identifier', async () => {
    const out = await f.host.run('bash', { command: 'pwd' }, undefined, undefined, '../x');
    assert.equal(out.is_error, true);
    assert.match(text(out), /Invalid shell name "\.\.\/x"/);
  });

  it('closeShell ends one shell and its state; dispose ends the rest', async () => {
    await bash('mkdir a');
    const a = Number(await bash('cd a; echo $$', 'sthr_a'));
    const b = Number(await bash('echo $$', 'sthr_b'));
    await f.host.closeShell('sthr_a');
    assert.equal(isAlive(a), false, 'the closed shell is gone');
    assert.equal(isAlive(b), true);
    assert.equal(await bash('basename "$PWD"', 'sthr_a'), 'ws', 'a closed shell comes back fresh at the root');
    await f.host.dispose();
    assert.equal(isAlive(b), false, 'dispose ends every named shell');
  });
});
