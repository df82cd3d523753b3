import assert from 'node:assert/strict';
import { workspaceRepository } from '../../../src/extension/connection/workspace-source';
import { reply } from '../../../src/model/scripted';
import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { sessionRepository } from '../../../src/wire/session-repository';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { serveOverHttp, type ServedRuntime } from '../../support/served-runtime';
import { addUserHistory } from '../../support/user-history';
import { requireDocker, TIMEOUT } from './helpers';

// An uploaded workspace with its history on the Docker sandbox (issue #15 §2): the runtime of another machine unpacks
// the upload (only what differs from HEAD, the rest checked out of the bundle) and the session's container starts from
// that copy. The agent's git in the container shows the user's commits and uncommitted changes, and review holds only
// what the agent changed. Real engine, real HTTP, the extension's upload.

describe('docker sandbox: an uploaded workspace with history', function () {
  this.timeout(TIMEOUT);
  let t: TestRuntime;
  let provider: DockerSandboxProvider;
  let served: ServedRuntime;
  before(async () => {
    await requireDocker();
  });
  beforeEach(async () => {
    t = await makeTestRuntime({ provider: (storage) => (provider = new DockerSandboxProvider({ storageRoot: storage, warmPool: 0 })) });
    served = await serveOverHttp(t);
  });
  afterEach(async () => {
    await served.client.close();
    await served.server.close();
    await t.runtime.close();
    await provider.reap(new Set());
    await t.close();
  });

  it("gives the agent in the container the user's commits and changes, and review only the agent's edit", async () => {
    addUserHistory(t.repo);
    const c = served.client;
    const repo = await workspaceRepository(c, t.repo, { mode: 'upload', maxBytes: 1024 * 1024 });
    t.model.push(
      reply.tool('bash', { command: 'test -f /.dockerenv && echo in-a-container && cd /workspace && git log --format=%s%x09%an && git rev-parse --abbrev-ref HEAD && git status --short && cat README.md' }),
      reply.tool('edit', { file_path: 'src/app.js', old_string: '"hi"', new_string: '"hello"' }),
      reply.text('Done.'),
    );
    const agent = await c.createAgent({ name: 'docker-history', model: 'claude-sonnet-4-5', tools: [{ type: 'agent_toolset_20260401' }] });
    const session = await c.createSession({ agent: agent.id, environment_id: t.envId, resources: [repo] });
    assert.notEqual(sessionRepository(session.resources)!.path, t.repo, "the session works on the runtime's copy");
    await c.send(session.id, [{ type: 'user.message', content: [{ type: 'text', text: 'look around, then greet' }] }]);
    const events = await t.waitFor(session.id, (es) => es.some((e) => e.type === 'session.status_idle') && es.some((e) => e.type === 'agent.message'), 120_000);
    const results = events.filter((e) => e.type === 'agent.tool_result');
    const output = JSON.stringify(results[0]);
    assert.match(output, /in-a-container\\n/, 'the agent runs in the container');
    assert.match(output, /Say more in the README\\tAda\\nAdd the answer\\tAda\\ninit\\tt\\n/, "the user's commits, newest first, in the container");
    assert.match(output, /\\nfeature\\n/, "on the user's branch");
    assert.match(output, / M README\.md\\n\?\? notes\.md\\n/, 'the uncommitted changes are working-tree changes there');
    assert.match(output, /More words, not committed\./, "the container holds the user's uncommitted text");
    assert.ok(!JSON.stringify(results[1]).includes('"is_error":true'), `the edit worked: ${JSON.stringify(results[1])}`);

    const changes = await c.changes(session.id);
    assert.deepEqual(changes.files.map((f) => [f.path, f.status]), [['src/app.js', 'modified']], "review holds only the agent's edit");
  });
});
