import assert from 'node:assert/strict';
import { agentOf, byAgent, EXHAUSTED_TEXT, reply, type MessagesRequest, type RecordedRequest } from '../../src/model/scripted';
import { agentMarker } from '../../src/model/types';

const request = (system: MessagesRequest['system'], seq = 0): RecordedRequest => ({
  seq,
  at: 0,
  headers: {},
  body: { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], system },
  exhausted: false,
});
const textOf = (r: Awaited<ReturnType<ReturnType<typeof byAgent>>>) => (r.kind === 'message' && r.blocks[0]?.type === 'text' ? r.blocks[0].text : r.kind);

describe('scripted model: one script per agent', () => {
  it('routes each request by the agent its system prompt names, in any interleaving, faults included', async () => {
    const play = byAgent({ lead: [reply.text('lead 1'), reply.text('lead 2')], writer: [reply.fault('overloaded'), reply.text('writer 1')] });
    const lead = request([{ type: 'text', text: `Do things.\n\n${agentMarker('lead')}, the coordinator.` }]);
    const writer = request(`${agentMarker('writer')}, working for "lead".`);
    assert.equal(agentOf(lead), 'lead');
    assert.equal(agentOf(writer), 'writer');
    assert.equal(textOf(await play(writer)), 'fault');
    assert.equal(textOf(await play(lead)), 'lead 1');
    assert.equal(textOf(await play(writer)), 'writer 1');
    assert.equal(textOf(await play(lead)), 'lead 2');
    const after = request(`${agentMarker('writer')}`);
    assert.equal(textOf(await play(after)), EXHAUSTED_TEXT);
    assert.equal(after.exhausted, true);
  });

  it('sends requests naming no routed agent to the fallback, or answers them exhausted', async () => {
    const withFallback = byAgent({ lead: [] }, () => reply.text('fallback'));
    assert.equal(textOf(await withFallback(request('plain prompt'))), 'fallback');
    assert.equal(textOf(await byAgent({})(request('plain prompt'))), EXHAUSTED_TEXT);
  });
});
