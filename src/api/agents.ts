import * as z from 'zod';
import { AgentCreateParams, AgentUpdateParams } from '../wire';
import { paging, qBool, qCreatedAtGteLte, qInt } from './query';
import { route } from './router';

// /v1/agents: versioned agent definitions (reference §2.1).

const ListQuery = z.strictObject({ ...paging, include_archived: qBool.optional(), created_at: qCreatedAtGteLte.optional() });
const RetrieveQuery = z.strictObject({ version: qInt(1, 1_000_000_000).optional() });
const VersionsQuery = z.strictObject(paging);

export const agentRoutes = [
  route('POST', '/v1/agents', async (c) => c.runtime.agents.create(await c.body(AgentCreateParams.strict()))),
  route('GET', '/v1/agents', async (c) => c.runtime.agents.list(c.query(ListQuery))),
  route('GET', '/v1/agents/:agent_id', async (c) => c.runtime.agents.retrieve(c.params.agent_id!, c.query(RetrieveQuery).version)),
  route('POST', '/v1/agents/:agent_id', async (c) => c.runtime.agents.update(c.params.agent_id!, await c.body(AgentUpdateParams.strict()))),
  route('POST', '/v1/agents/:agent_id/archive', async (c) => c.runtime.agents.archive(c.params.agent_id!)),
  route('GET', '/v1/agents/:agent_id/versions', async (c) => c.runtime.agents.versions(c.params.agent_id!, c.query(VersionsQuery))),
];
