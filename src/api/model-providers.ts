import * as z from 'zod';
import { providerModels, providerViews, setProviderKey } from '../runtime/provider-views';
import { ModelProviderKeyParams } from '../wire/model-provider-api';
import { qBool } from './query';
import { route } from './router';

// /v1/model_providers (Hangar's, issue #15): the providers this runtime routes models to, each provider's models, and
// a configured provider's key, which goes into the runtime's vault (where its client reads it) and never comes back.
// A client of a detached runtime (VS Code's model picker, Set Model Provider Key) uses these, not its own settings.

const ModelsQuery = z.strictObject({ fresh: qBool.optional() });
const PROVIDER = '/v1/model_providers/:name';

export const modelProviderRoutes = [
  route('GET', '/v1/model_providers', async (c) => ({ data: await providerViews(c.runtime.modelProviders, c.runtime.vault) })),
  route('GET', `${PROVIDER}/models`, async (c) => providerModels(c.runtime.modelProviders, c.runtime.vault, c.params.name!, c.query(ModelsQuery).fresh === true)),
  route('POST', `${PROVIDER}/key`, async (c) => setProviderKey(c.runtime.modelProviders, c.runtime.vault, c.params.name!, (await c.body(ModelProviderKeyParams)).api_key)),
  route('DELETE', `${PROVIDER}/key`, async (c) => setProviderKey(c.runtime.modelProviders, c.runtime.vault, c.params.name!, null)),
];
