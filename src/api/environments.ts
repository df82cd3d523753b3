import * as z from 'zod';
import { EnvironmentCreateParams, EnvironmentUpdateParams } from '../wire';
import { paging, qBool } from './query';
import { route } from './router';

// /v1/environments: sandbox templates (reference §2.2, §6). The runtime's errors carry details.error_code
// (environment_not_found, invalid_config_type_change, environment_archived) for the SDK's typed handling.

const ListQuery = z.strictObject({ ...paging, include_archived: qBool.optional() });

export const environmentRoutes = [
  route('POST', '/v1/environments', async (c) => c.runtime.environments.create(await c.body(EnvironmentCreateParams.strict()))),
  route('GET', '/v1/environments', async (c) => c.runtime.environments.list(c.query(ListQuery))),
  route('GET', '/v1/environments/:environment_id', async (c) => c.runtime.environments.retrieve(c.params.environment_id!)),
  route('POST', '/v1/environments/:environment_id', async (c) => c.runtime.environments.update(c.params.environment_id!, await c.body(EnvironmentUpdateParams.strict()))),
  route('DELETE', '/v1/environments/:environment_id', async (c) => c.runtime.environments.delete(c.params.environment_id!)),
  route('POST', '/v1/environments/:environment_id/archive', async (c) => c.runtime.environments.archive(c.params.environment_id!)),
];
