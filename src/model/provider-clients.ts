import type { ModelProviderConfig } from '../wire';
import { createAnthropicModel } from './anthropic';
import { createOpenAiCompatibleClient } from './openai';
import type { ModelClient } from './types';

/** Where a person sets a configured provider's key, for the client's "refused the key" message. */
export const providerKeyHint = (name: string): string =>
  `Set the key of provider "${name}": \`hangar set-key --model-provider ${name}\` (CLI) or the "Hangar: Set Model Provider Key" command (VS Code).`;

/** A configured provider's client, by its kind. */
export function createProviderClient(config: ModelProviderConfig, apiKey: () => Promise<string | undefined>): ModelClient {
  if (config.kind === 'anthropic') return createAnthropicModel({ apiKey, baseURL: config.baseUrl });
  return createOpenAiCompatibleClient({ baseUrl: config.baseUrl, apiKey, headers: config.headers, keyHint: providerKeyHint(config.name) });
}
