import * as z from 'zod';
import { lazySchema } from './lazy';
import { ModelProviderKind, ProviderModelInfo } from './model-providers';

// A runtime's model providers as its API serves them (Hangar's /v1/model_providers, outside the Managed Agents
// reference), so a client of a detached runtime picks among the providers that runtime routes to and gives a provider
// its key there. A key goes in and never comes out: a provider says only whether it has one.

export const ModelProviderView = lazySchema(() => z.object({
  type: z.literal('model_provider'),
  name: z.string(),
  kind: ModelProviderKind,
  base_url: z.string(),
  /** Its models run on the runtime's machine (priced at zero). */
  local: z.boolean(),
  /** The built-in Anthropic provider (its key is the runtime's own model key). */
  builtin: z.boolean(),
  has_key: z.boolean(),
}));
export type ModelProviderView = z.infer<typeof ModelProviderView>;

export const ModelProviderList = lazySchema(() => z.object({ data: z.array(ModelProviderView) }));

/** A provider's models: from its models endpoint, else its configured list, with why that could not be read. */
export const ModelProviderModels = lazySchema(() => z.object({
  type: z.literal('model_provider_models'),
  provider: ModelProviderView,
  /** Full ids as agents name them (`ollama/qwen3-coder`; the built-in provider's without a prefix). */
  models: z.array(ProviderModelInfo),
  problem: z.string().nullable(),
  /** The provider named its models: a model not among them does not exist there. */
  listed: z.boolean(),
  /** It answered but lists no models: its models are not known in advance. */
  unlisted: z.boolean(),
}));
export type ModelProviderModels = z.infer<typeof ModelProviderModels>;

export const ModelProviderKeyParams = lazySchema(() => z.strictObject({
  api_key: z.string().min(1, 'api_key is empty').max(65_536).regex(/^\S+$/, 'an API key has no spaces or line breaks'),
}));
export type ModelProviderKeyParams = z.infer<typeof ModelProviderKeyParams>;
