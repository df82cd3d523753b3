import * as z from 'zod';
import { MemoryCreateParams, MemoryStoreCreateParams, MemoryStoreUpdateParams, MemoryUpdateParams, MemoryVersionOperation, MemoryView } from '../wire';
import { LOCAL_API_ACTOR } from '../runtime/memory-stores';
import { paging, qBool, qCreatedAtGteLte, qInt } from './query';
import { route, type Method } from './router';

// /v1/memory_stores, their memories and memory versions (reference §2.8), as the SDK's `client.beta.memoryStores`
// calls them. Writes through the API are recorded as the local API key's (LOCAL_API_ACTOR).

const StoreListQuery = z.strictObject({ ...paging, include_archived: qBool.optional(), created_at: qCreatedAtGteLte.optional() });
const ViewQuery = z.strictObject({ view: MemoryView.optional() });
const MemoryListQuery = z.strictObject({ ...paging, path_prefix: z.string().optional(), depth: qInt(0, 20).optional(), view: MemoryView.optional() });
const DeleteQuery = z.strictObject({ expected_content_sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits').optional() });
const VersionListQuery = z.strictObject({
  ...paging,
  memory_id: z.string().optional(),
  operation: MemoryVersionOperation.optional(),
  session_id: z.string().optional(),
  api_key_id: z.string().optional(),
  service_account_id: z.string().optional(),
  created_at: qCreatedAtGteLte.optional(),
  view: MemoryView.optional(),
});

const STORE = '/v1/memory_stores/:memory_store_id';
const MEMORY = `${STORE}/memories/:memory_id`;

// The API reference documents memory update as PATCH; the SDK sends POST. Both are served (reference §2.8).
const updateMemory = (method: Method) =>
  route(method, MEMORY, async (c) =>
    c.runtime.memoryStores.updateMemory(c.params.memory_store_id!, c.params.memory_id!, await c.body(MemoryUpdateParams.strict()), LOCAL_API_ACTOR, c.query(ViewQuery).view),
  );

export const memoryStoreRoutes = [
  route('POST', '/v1/memory_stores', async (c) => c.runtime.memoryStores.create(await c.body(MemoryStoreCreateParams.strict()))),
  route('GET', '/v1/memory_stores', async (c) => c.runtime.memoryStores.list(c.query(StoreListQuery))),
  route('GET', STORE, async (c) => c.runtime.memoryStores.retrieve(c.params.memory_store_id!)),
  route('POST', STORE, async (c) => c.runtime.memoryStores.update(c.params.memory_store_id!, await c.body(MemoryStoreUpdateParams.strict()))),
  route('DELETE', STORE, async (c) => c.runtime.memoryStores.delete(c.params.memory_store_id!)),
  route('POST', `${STORE}/archive`, async (c) => c.runtime.memoryStores.archive(c.params.memory_store_id!)),
  route('POST', `${STORE}/memories`, async (c) =>
    c.runtime.memoryStores.createMemory(c.params.memory_store_id!, await c.body(MemoryCreateParams.strict()), LOCAL_API_ACTOR, c.query(ViewQuery).view),
  ),
  route('GET', `${STORE}/memories`, async (c) => c.runtime.memoryStores.listMemories(c.params.memory_store_id!, c.query(MemoryListQuery))),
  route('GET', MEMORY, async (c) => c.runtime.memoryStores.retrieveMemory(c.params.memory_store_id!, c.params.memory_id!, c.query(ViewQuery).view)),
  updateMemory('POST'),
  updateMemory('PATCH'),
  route('DELETE', MEMORY, async (c) =>
    c.runtime.memoryStores.deleteMemory(c.params.memory_store_id!, c.params.memory_id!, LOCAL_API_ACTOR, c.query(DeleteQuery).expected_content_sha256),
  ),
  route('GET', `${STORE}/memory_versions`, async (c) => c.runtime.memoryStores.listVersions(c.params.memory_store_id!, c.query(VersionListQuery))),
  route('GET', `${STORE}/memory_versions/:memory_version_id`, async (c) =>
    c.runtime.memoryStores.retrieveVersion(c.params.memory_store_id!, c.params.memory_version_id!, c.query(ViewQuery).view),
  ),
  route('POST', `${STORE}/memory_versions/:memory_version_id/redact`, async (c) =>
    c.runtime.memoryStores.redactVersion(c.params.memory_store_id!, c.params.memory_version_id!, LOCAL_API_ACTOR),
  ),
];
