import assert from 'node:assert/strict';
import { workspaceRepository } from '../../../src/extension/connection/workspace-source';
import { reply } from '../../../src/model/scripted';
import { sessionRepository } from '../../../src/wire/session-repository';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { useServedRuntime } from '../../support/served-runtime';
import { addUserHistory, gitAsUser } from '../../support/user-history';

// An uploaded workspace carries the user's git history (issue #15 §2): over real HTTP with the SDK, the agent in the
// runtime's copy runs git and sees the user's commits, branch and uncommitted changes as on the user's machine, and
// review still shows only what the agent changed.

const MB = 1024 * 1024;

describe('workspace upload to a remote runtime: git history', function () {
  this.timeout(60_000);
  let t: TestRuntime;
  const served = useServedRuntime();

  beforeEach(async () => {
    t = await makeTestRuntime();
    addUserHistory(t.repo);
  });

  async function run(commands: string, historyCommits?: number) {
    const c = await served.serve(t);
    const repo = await workspaceRepository(c, t.repo, { mode: 'upload', maxBytes: MB, ...(historyCommits === undefined ? {} : { historyCommits }) });
    t.model.push(
      reply.tool('bash', { command: commands }),
      reply.tool('edit', { file_path: 'src/app.js', old_string: '"hi"', new_string: '"hello"' }),
      reply.text('Done.'),
    );
    const agent = await c.createAgent({ name: 'h', model: 'claude-sonnet-4-5', tools: [{ type: 'agent_toolset_20260401' }] });
    const session = await c.createSession({ agent: agent.id, environment_id: t.envId, resources: [repo] });
    await c.send(session.id, [{ type: 'user.message', content: [{ type: 'text', text: 'look around, then greet' }] }]);
    const events = await t.waitFor(session.id, (es) => es.filter((e) => e.type === 'session.status_idle').length > 0 && es.some((e) => e.type === 'agent.message'));
    const output = JSON.stringify(events.find((e) => e.type === 'agent.tool_result'));
    return { c, session, output, copy: sessionRepository(session.resources)!.path };
  }

  it("gives the agent the user's commits, branch and uncommitted changes, and review only the agent's change", async () => {
    const { c, session, output, copy } = await run('git log --format=%s%x09%an; git rev-parse --abbrev-ref HEAD; git status --short; git blame -s lib.js; git diff --stat HEAD~1 HEAD');
    assert.match(output, /Say more in the README\\tAda\\nAdd the answer\\tAda\\ninit\\tt\\n/, 'the user\'s commits, newest first, with their authors');
    assert.match(output, /\\nfeature\\n/, 'on the user\'s branch');
    assert.match(output, / M README\.md\\n\?\? notes\.md\\n/, 'the uncommitted changes are working-tree changes, as on the user\'s machine');
    assert.match(output, /[0-9a-f]{7,} 1\) export const answer = 42;/, 'blame names the user\'s commit');
    assert.match(output, /README\.md \| 2 \+\+\\n 1 file changed/, 'diffs between the user\'s commits');
    assert.equal(gitAsUser(copy, 'rev-parse', 'HEAD'), gitAsUser(t.repo, 'rev-parse', 'HEAD'), 'the runtime\'s copy is at the user\'s commit');

    const changes = await c.changes(session.id);
    assert.deepEqual(changes.files.map((f) => [f.path, f.status]), [['src/app.js', 'modified']], 'the user\'s uncommitted changes are the baseline, not the agent\'s');
  });

  it('sends as many commits as uploadHistoryCommits says', async () => {
    const { output } = await run('git log --format=%s; git rev-parse --is-shallow-repository', 1);
    assert.match(output, /"text":"Say more in the README\\ntrue"/, 'one commit, shallow');
    assert.doesNotMatch(output, /Add the answer/);
  });

  it('without history, the copy is one commit of the uploaded files', async () => {
    const { output, c, session } = await run('git log --format=%s; git status --short', 0);
    assert.match(output, /"text":"The workspace as its client uploaded it"/);
    assert.doesNotMatch(output, /Add the answer/);
    assert.deepEqual((await c.changes(session.id)).files.map((f) => f.path), ['src/app.js']);
  });
});
