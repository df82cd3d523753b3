import assert from 'node:assert/strict';
import { reply } from '../../../src/model/scripted';
import { ensureKey, hangar, scriptedModel, startAgent, texts, waitFor, waitForIdle } from './support';

export function reloadSuite(): void {
  describe('reload recovery', () => {
    it('a session running when the runtime is replaced (a window reload) continues in the new runtime', async () => {
      const h = await hangar();
      await ensureKey();
      // By request order, not a fixed list: the request cut off by the reload still reaches the server, and a fixed
      // list would hand it the answer meant for the request the new runtime makes.
      const model = await scriptedModel((req) =>
        req.seq === 0 ? reply.tool('bash', { command: 'echo step-one > one.txt' }) : reply.text(req.seq === 1 ? 'Cut off by the reload.' : 'Finished after the reload.', { delay_ms: req.seq === 1 ? 3_000 : 0 }),
      );
      try {
        const id = await startAgent(h, 'Work across a reload');
        await waitFor('the tool result, so the second model request is in flight', async () => (await h.host.runtime.sessions.listEvents(id, { limit: 1000 })).data.some((e) => e.type === 'agent.tool_result'));
        await waitFor('the second model request to reach the model', () => model.requests.length >= 2);
        assert.equal((await h.sessions.view(id)).status, 'running');
        const oldRuntime = h.host.runtime;
        await h.host.restart();
        assert.notEqual(h.host.runtime, oldRuntime);
        assert.ok((await h.host.resumed).includes(id), 'the new runtime woke the session');
        const all = await waitForIdle(h, id, 1, 30_000);
        assert.ok(texts(all).includes('Finished after the reload.'), `the turn ended without the model's answer: ${all.map((e) => e.type).join(', ')}`);
        assert.ok(!texts(all).includes('Cut off by the reload.'), 'the request cut off by the reload left no answer');
        assert.equal(all.filter((e) => e.type === 'agent.tool_use').length, 1, 'the finished tool call is not repeated');
        assert.equal((await h.sessions.view(id)).status, 'idle');
      } finally {
        await model.close();
      }
    });
  });
}
