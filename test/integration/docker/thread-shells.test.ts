import assert from 'node:assert/strict';
import type { DockerSandboxProvider } from '../../../src/sandbox/docker';
import type { Sandbox } from '../../../src/sandbox/types';
import { rendezvous, startsBeforeEnds } from '../../support/rendezvous';
import { env, newProvider, requireDocker, text, TIMEOUT } from './helpers';

// A sub-agent thread's bash runs in a shell of its own in the session's container (ExecuteOptions.shell), with the
// tool server and with the exec fallback: two shells' commands run at the same time, each keeps its own cwd, and
// closing one leaves the others alone.

async function bash(sb: Sandbox, command: string, shell?: string): Promise<string> {
  const o = await sb.execute('bash', { command }, shell === undefined ? {} : { shell });
  if (o.is_error) throw new Error(`bash ${JSON.stringify(command)} in ${shell ?? 'the main shell'} failed: ${text(o)}`);
  return text(o);
}

for (const transport of ['server', 'exec'] as const) {
  describe(`docker sandbox: a shell per thread (${transport === 'server' ? 'tool server' : 'exec fallback'})`, function () {
    this.timeout(TIMEOUT);
    let provider: DockerSandboxProvider;

    before(async () => {
      await requireDocker();
      provider = newProvider(transport === 'exec' ? { tools: 'exec' } : {});
    });
    after(async () => {
      await provider.reap(new Set());
      await provider.close();
    });

    it("runs two shells' commands at the same time, each in its own cwd, and closes one", async () => {
      const sb = await provider.provision({ sessionId: `shells-${transport}`, environment: env() });
      assert.equal((sb as { toolTransport?: string }).toolTransport, transport);
      await bash(sb, 'mkdir -p a b');
      await bash(sb, 'cd a', 'sthr_a');
      await bash(sb, 'cd b', 'sthr_b');
      const marks = '/tmp/marks';
      await Promise.all([bash(sb, rendezvous(marks, 'a', 'b'), 'sthr_a'), bash(sb, rendezvous(marks, 'b', 'a'), 'sthr_b')]);
      startsBeforeEnds(await bash(sb, `cat ${marks}`));
      assert.equal(await bash(sb, 'pwd', 'sthr_a'), '/workspace/a');
      assert.equal(await bash(sb, 'pwd', 'sthr_b'), '/workspace/b');
      assert.equal(await bash(sb, 'pwd'), '/workspace', "the session's own shell did not move");
      await sb.closeShell('sthr_a');
      assert.equal(await bash(sb, 'pwd', 'sthr_a'), '/workspace', 'a closed shell comes back fresh');
      assert.equal(await bash(sb, 'pwd', 'sthr_b'), '/workspace/b', 'the other shell is untouched');
    });
  });
}
