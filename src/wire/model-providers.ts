import * as z from 'zod';
import { lazySchema } from './lazy';
import { BUILTIN_PROVIDER, PROVIDER_NAME } from './provider-names';

export * from './provider-names';

// Model providers (issue #14): where a model id is served. Hangar always has the built-in `anthropic` provider (the
// Messages API at ANTHROPIC_BASE_URL / hangar.model.baseUrl, or api.anthropic.com); users add more, each with a name,
// a kind and a base URL, in the VS Code setting `hangar.modelProviders` or `<storage>/model-providers.json` (CLI).
// An agent names a provider's model as `<provider>/<model>` (`ollama/qwen3-coder`); an id without a known provider
// prefix is the built-in provider's, as before. The key of a provider is a vault credential (modelProviderKey), never
// part of this configuration.

export const ModelProviderKind = lazySchema(() => z.enum(['anthropic', 'openai']));
export type ModelProviderKind = z.infer<typeof ModelProviderKind>;

export const ModelProviderConfig = lazySchema(() => z.strictObject({
  name: z
    .string()
    .regex(PROVIDER_NAME, 'provider names are 1-40 lower-case letters, digits, "-" and "_", starting with a letter or digit')
    .refine((n) => n !== BUILTIN_PROVIDER, `"${BUILTIN_PROVIDER}" is the built-in provider; set its base URL with hangar.model.baseUrl or ANTHROPIC_BASE_URL, or name this one differently`),
  /**
   * `anthropic`: the Messages API (an Anthropic-compatible gateway); `openai`: OpenAI-compatible Chat Completions
   * (Ollama, vLLM, LM Studio, llama.cpp's server, OpenRouter, OpenAI, Azure OpenAI's v1 endpoint).
   */
  kind: ModelProviderKind,
  /** As the provider's SDK takes it: `http://localhost:11434/v1` for Ollama, `https://gateway.example` for the Messages API. */
  baseUrl: z.url({ protocol: /^https?$/, error: 'baseUrl must be an http:// or https:// URL' }),
  /** Models to offer when the provider has no models endpoint (or to offer only these); default: the endpoint's list. */
  models: z.array(z.string().min(1)).optional(),
  /** Extra request headers that are not secrets (OpenRouter's HTTP-Referer, a gateway's routing header). */
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'header names are letters, digits and dashes'), z.string()).optional(),
  /** Models run on this machine: priced at zero. Default: the base URL's host is a loopback address or localhost. */
  local: z.boolean().optional(),
  /** Context window of its models when the models endpoint does not say (tokens). Default 128000, or 32768 when local. */
  contextWindow: z.number().int().positive().optional(),
}).refine((p) => p.kind === 'openai' || p.headers === undefined, { path: ['headers'], message: 'headers are sent only to openai-kind providers; remove them from this anthropic-kind one' }));
export type ModelProviderConfig = z.infer<typeof ModelProviderConfig>;

export const ModelProviderConfigs = lazySchema(() => z.array(ModelProviderConfig).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((p, i) => {
    if (seen.has(p.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `two providers are named "${p.name}"; names must be unique` });
    seen.add(p.name);
  });
}));

/** What a provider's models endpoint says about one model (fields it does not give stay undefined). */
export const ProviderModelInfo = lazySchema(() => z.object({
  id: z.string().min(1),
  contextWindow: z.number().int().positive().optional(),
  maxOutputTokens: z.number().int().positive().optional(),
  /** Whether the model takes tool definitions (OpenRouter's supported_parameters, a capabilities list). */
  tools: z.boolean().optional(),
  /** Whether the model reasons (Ollama's capabilities): its reasoning shows as thinking. */
  thinking: z.boolean().optional(),
  /** Whether the model reads images (Ollama's capabilities). */
  vision: z.boolean().optional(),
  /** USD per million tokens, when the provider publishes prices (OpenRouter). */
  prices: z.object({ input: z.number().nonnegative(), output: z.number().nonnegative(), cacheRead: z.number().nonnegative().optional() }).optional(),
}));
export type ProviderModelInfo = z.infer<typeof ProviderModelInfo>;
