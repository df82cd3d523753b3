import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { startApi, type ApiFixture } from './helpers';

// Agent skills are not loaded by the local runtime yet: an agent that names one is refused at create and update with
// the reason, never stored and ignored (ARCHITECTURE.md invariant 8).

describe('api: agent skills', function () {
  this.timeout(60_000);
  let f: ApiFixture;
  before(async () => {
    f = await startApi();
  });
  after(async () => f?.close());

  it('refuses skills at create and update, and stores nothing', async () => {
    const c = f.client;
    const before = (await c.beta.agents.list()).data.length;
    await assert.rejects(
      c.beta.agents.create({ name: 'skilled', model: DEFAULT_MODEL, skills: [{ type: 'custom', skill_id: 'skill_unknown' }] }),
      (e: unknown) => e instanceof Anthropic.BadRequestError && /skill_unknown\) are not supported by the local runtime yet/.test(e.message),
    );
    assert.equal((await c.beta.agents.list()).data.length, before);
    const agent = await c.beta.agents.create({ name: 'plain', model: DEFAULT_MODEL, skills: [] });
    await assert.rejects(c.beta.agents.update(agent.id, { version: agent.version, skills: [{ type: 'anthropic', skill_id: 'xlsx' }] }), Anthropic.BadRequestError);
    assert.equal((await c.beta.agents.retrieve(agent.id)).version, 1);
  });
});
