import assert from 'node:assert/strict';
import { RuntimeRefusal, type RemoteRuntimeClient } from '../../../src/extension/connection/remote-client';
import { unknownProvider } from '../../../src/extension/connection/runtime-models';
import { reply, startScriptedOpenAiModel, type ScriptedOpenAiModel } from '../../../src/model/scripted';
import { modelProviderKey } from '../../../src/wire';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { assertTokenAbsent } from '../../support/secret-search';
import { serveOverHttp, type ServedRuntime } from '../../support/served-runtime';

// Model providers over a detached runtime (issue #15): the VS Code seam (RemoteModels through the real SDK) against
// the real API server's /v1/model_providers on a runtime configured with an OpenAI-compatible provider. The window
// sees the runtime's providers and their models, gives one its key (into the runtime's vault, never returned), and an
// agent naming `<provider>/<model>` runs its session there with that key.

const KEY = `sk-box-remote-${Date.now()}`;

describe('model providers over a detached runtime (VS Code seam) over HTTP', function () {
  this.timeout(60_000);
  let oai: ScriptedOpenAiModel;
  let t: TestRuntime;
  let served: ServedRuntime | undefined;
  let client: RemoteRuntimeClient;

  before(async () => {
    oai = await startScriptedOpenAiModel({ models: ['qwen3-coder', 'llama3.2'], apiKey: KEY });
    t = await makeTestRuntime({ runtime: { modelProviders: [{ name: 'box', kind: 'openai', baseUrl: oai.url }] } });
    served = await serveOverHttp(t);
    client = served.client;
  });
  after(async () => {
    await served?.close();
    await oai?.close();
  });

  it("lists the runtime's providers and models, takes a provider's key into its vault, and runs an agent on that provider", async () => {
    const providers = await client.models.providers();
    assert.deepEqual(providers.map((p) => [p.name, p.builtin]), [['anthropic', true], ['box', false]]);
    assert.equal(providers[1]?.has_key, false);
    assert.equal(providers[1]?.base_url, oai.url);
    const keyless = await client.models.models('box', true);
    assert.match(keyless.problem ?? '', /401|key/i, 'without its key the provider refuses to list');

    const withKey = await client.models.setKey('box', KEY);
    assert.equal(withKey.has_key, true);
    assert.ok(!JSON.stringify(withKey).includes(KEY), 'the key is never returned');
    assert.equal(await t.runtime.vault.get(modelProviderKey('box')), KEY, "it is in the runtime's vault");
    const listed = await client.models.models('box', true);
    assert.equal(listed.problem, null);
    assert.deepEqual(listed.models.map((m) => m.id), ['box/qwen3-coder', 'box/llama3.2']);
    assert.equal(await unknownProvider(client.models, 'box/qwen3-coder'), null);
    assert.match((await unknownProvider(client.models, 'nowhere/qwen3-coder')) ?? '', /nowhere/);

    oai.push(reply.text('Hello from the box.'));
    const agent = await client.createAgent({ name: 'on-the-box', model: 'box/qwen3-coder', tools: [{ type: 'agent_toolset_20260401' }] });
    const env = await client.defaultEnvironment({});
    const session = await client.createSession({ agent: agent.id, environment_id: env.id, resources: [{ type: 'local_repository', path: t.repo }] });
    await client.send(session.id, [{ type: 'user.message', content: [{ type: 'text', text: 'say hello' }] }]);
    const events = await t.waitFor(session.id, (e) => e.some((x) => x.type === 'session.status_idle'));
    assert.ok(events.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes('Hello from the box.')));
    assert.equal(oai.requests.at(-1)?.chat.model, 'qwen3-coder');
    assert.equal(oai.requests.at(-1)?.headers.authorization, `Bearer ${KEY}`);
    await t.runtime.settled(session.id);
    assertTokenAbsent(t.storage, KEY);
  });

  it('refuses bad input with the reason, never echoing a key', async () => {
    const refused = (status: number, message: RegExp) => (err: unknown) => err instanceof RuntimeRefusal && err.status === status && message.test(err.message) && !err.message.includes('sk-');
    await assert.rejects(client.models.setKey('anthropic', 'sk-builtin-1'), refused(400, /built-in provider's key is this runtime's own model key/));
    await assert.rejects(client.models.setKey('nowhere', 'sk-nowhere-1'), refused(404, /No model provider named "nowhere".*anthropic, box/));
    await assert.rejects(client.models.setKey('box', 'sk-has a-space'), refused(400, /no spaces/));
    await assert.rejects(client.models.models('nowhere'), refused(404, /nowhere/));
    await assert.rejects(client.createAgent({ name: 'lost', model: 'nowhere/qwen3-coder', tools: [] }), (err: unknown) => err instanceof RuntimeRefusal && err.status === 400 && /nowhere/.test(err.message));
    assert.equal(await t.runtime.vault.get(modelProviderKey('box')), KEY, 'a refused key changes nothing');
  });
});
