import * as z from 'zod';
import { SessionCreateParams, SessionStatus, SessionUpdateParams } from '../wire';
import type { Runtime } from '../runtime';
import { badRequest, parseOr400 } from './errors';
import { paging, qBool, qCreatedAt, qInt, qList, qOrder } from './query';
import { route } from './router';
import { SessionForkParams } from '../wire/fork';

// /v1/sessions (reference §2.3): the one BidirectionalPageCursor listing, so responses carry prev_page too.

const ListQuery = z
  .strictObject({
    ...paging,
    order: qOrder.optional(),
    agent_id: z.string().min(1).optional(),
    agent_version: qInt(1, 1_000_000_000).optional(),
    statuses: qList(SessionStatus).optional(),
    include_archived: qBool.optional(),
    created_at: qCreatedAt.optional(),
    deployment_id: z.string().min(1).optional(),
    memory_store_id: z.string().min(1).optional(),
  })
  .refine((q) => q.agent_version === undefined || q.agent_id !== undefined, { message: 'agent_version filters only together with agent_id', path: ['agent_version'] });

async function assertVaults(runtime: Runtime, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const vault = await runtime.vaults.retrieve(id);
    if (vault.archived_at) throw badRequest(`Vault ${id} is archived; attach an active vault.`);
  }
}

// An unknown resource kind is refused in a sentence, not as schema output.
const KNOWN_RESOURCES = ['local_repository', 'file', 'github_repository', 'memory_store'];

function refuseUnsupportedResources(body: Record<string, unknown>): Record<string, unknown> {
  const resources = Array.isArray(body.resources) ? (body.resources as unknown[]) : [];
  for (const r of resources) {
    const type = r && typeof r === 'object' ? (r as { type?: unknown }).type : undefined;
    if (typeof type === 'string' && !KNOWN_RESOURCES.includes(type)) {
      throw badRequest(`Resource type "${type}" is not supported: it is not a resource type Hangar knows. Give the repository to work on as {"type":"local_repository","path":"/path/to/repo"}.`);
    }
  }
  return body;
}

export const sessionRoutes = [
  route('POST', '/v1/sessions', async (c) => {
    const params = parseOr400(SessionCreateParams.strict(), refuseUnsupportedResources(await c.body(z.looseObject({}))), 'request body');
    await assertVaults(c.runtime, params.vault_ids ?? []);
    return c.runtime.sessions.create(params);
  }),
  route('GET', '/v1/sessions', async (c) => {
    const { deployment_id, ...q } = c.query(ListQuery);
    // No local session belongs to a deployment, so that filter matches nothing.
    if (deployment_id !== undefined) return { data: [], next_page: null, prev_page: null };
    // Damaged sessions have no wire shape; the CLI and VS Code show them with the fix.
    const { damaged: _damaged, ...page } = await c.runtime.sessions.list(q);
    return page;
  }),
  route('GET', '/v1/sessions/:session_id', async (c) => c.runtime.sessions.retrieve(c.params.session_id!)),
  route('POST', '/v1/sessions/:session_id', async (c) => c.runtime.sessions.update(c.params.session_id!, await c.body(SessionUpdateParams.strict()))),
  route('DELETE', '/v1/sessions/:session_id', async (c) => c.runtime.deleteSession(c.params.session_id!)),
  route('POST', '/v1/sessions/:session_id/archive', async (c) => c.runtime.sessions.archive(c.params.session_id!)),
  route('POST', '/v1/sessions/:session_id/fork', async (c) => c.runtime.sessions.fork(c.params.session_id!, await c.body(SessionForkParams))),
];
