import { createAnthropicModel } from '../../src/model/anthropic';
import { createOpenAiCompatibleClient } from '../../src/model/openai';
import { startScriptedModel, startScriptedOpenAiModel, type ScriptedModel, type ScriptedModelOptions } from '../../src/model/scripted';
import type { ModelClient } from '../../src/model/types';

// The two model APIs Hangar speaks, each with its scripted server, so a harness or crash suite runs against both:
// `for (const api of MODEL_APIS) describe(`… (${api})`, …)`.

export const MODEL_APIS = ['anthropic', 'openai'] as const;
export type ModelApi = (typeof MODEL_APIS)[number];

export function isModelApi(value: string | undefined): value is ModelApi {
  return (MODEL_APIS as readonly string[]).includes(value ?? '');
}

export interface ScriptedForOptions extends ScriptedModelOptions {
  /** The Chat Completions server is a reasoning model (its replies start with reasoning_content); the Messages one ignores it. */
  reasoning?: boolean;
}

/**
 * The scripted server of `api`: the Messages server, or the Chat Completions one (whose requests are also recorded as
 * Messages bodies, so both satisfy ScriptedModel). Settings only the Messages server has (catalog, signing) are
 * ignored by the other.
 */
export async function startScriptedFor(api: ModelApi, opts: ScriptedForOptions = {}): Promise<ScriptedModel> {
  const { reasoning, ...messagesOptions } = opts;
  if (api === 'anthropic') return startScriptedModel(messagesOptions);
  return startScriptedOpenAiModel({ script: opts.script, port: opts.port, defaultDelayMs: opts.defaultDelayMs, maxBodyBytes: opts.maxBodyBytes, strict: opts.strict, reasoning });
}

/** The client Hangar uses for `api`, pointed at a scripted server's URL. */
export function modelClientFor(api: ModelApi, url: string): ModelClient {
  return api === 'anthropic' ? createAnthropicModel({ apiKey: async () => 'test-key', baseURL: url }) : createOpenAiCompatibleClient({ baseUrl: url });
}
