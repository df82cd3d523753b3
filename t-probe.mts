import { startApi, raw } from './test/integration/api/helpers';
const f = await startApi();
const j = { 'content-type': 'application/json' };
for (const [m, p, b] of [
  ['POST', '/v1/agents', JSON.stringify({ name: 42, model: 'm', tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'rm' }] }] })],
  ['POST', '/v1/agents', JSON.stringify({ name: 'x', model: 'm', colour: 1 })],
  ['GET', '/v1/agents?limit=0&include_archived=yes', undefined],
  ['GET', '/v1/agents?page=zzz', undefined],
  ['POST', '/v1/vaults/vlt_x/credentials', JSON.stringify({ auth: { type: 'oauth2', token: 'x' } })],
  ['POST', '/v1/sessions', JSON.stringify({ agent: 'agent_x', environment_id: 'env_x', budget: {} })],
] as const) {
  const r = await raw(f.server, m, p, { body: b, headers: j });
  console.log(m, p, r.status, r.json().error.message, '\n');
}
await f.close();
