import * as z from 'zod';
import type { ModelProviders, ProviderInfo } from '../model/registry';
import { MODEL_API_KEY, type Vault } from '../vault/types';
import { modelProviderKey } from '../wire';
import { ModelProviderKeyParams, type ModelProviderModels, type ModelProviderView } from '../wire/model-provider-api';
import { invalid, RuntimeError } from './errors';

// A runtime's model providers in the wire's form (wire/model-provider-api.ts), for its API and for VS Code's
// in-process seam alike, and giving a configured provider its key: into the runtime's vault, never out again.

export async function providerViews(providers: ModelProviders, vault: Vault): Promise<ModelProviderView[]> {
  return Promise.all(providers.providers().map((p) => view(p, vault)));
}

/** A provider's models (its models endpoint kept a minute; `fresh` asks again). */
export async function providerModels(providers: ModelProviders, vault: Vault, name: string, fresh: boolean): Promise<ModelProviderModels> {
  const info = provider(providers, name);
  const l = await providers.models(info.name, fresh);
  return { type: 'model_provider_models', provider: await view(info, vault), models: l.models, problem: l.problem, listed: l.listed, unlisted: l.unlisted === true };
}

/** Sets (or, with null, removes) a configured provider's key; the built-in provider's is the runtime's own model key. */
export async function setProviderKey(providers: ModelProviders, vault: Vault, name: string, key: string | null): Promise<ModelProviderView> {
  const info = provider(providers, name);
  if (info.builtin) throw invalid("The built-in provider's key is this runtime's own model key: set it on the runtime's machine (hangar set-key, or ANTHROPIC_API_KEY for hangar serve).");
  if (key === null) await vault.delete(modelProviderKey(info.name));
  else {
    const parsed = ModelProviderKeyParams.safeParse({ api_key: key });
    // The message names the rule, never the value.
    if (!parsed.success) throw invalid(`The key of ${info.name} is refused: ${z.prettifyError(parsed.error)}`);
    await vault.set(modelProviderKey(info.name), parsed.data.api_key);
  }
  return view(info, vault);
}

function provider(providers: ModelProviders, name: string): ProviderInfo {
  const all = providers.providers();
  const info = all.find((p) => p.name === name);
  if (!info) throw new RuntimeError(404, 'not_found_error', `No model provider named "${name}" is configured on this runtime (it has ${all.map((p) => p.name).join(', ')}); add it to the runtime's model providers (model-providers.json, or hangar.modelProviders in-process).`);
  return info;
}

async function view(p: ProviderInfo, vault: Vault): Promise<ModelProviderView> {
  const key = await vault.get(p.builtin ? MODEL_API_KEY : modelProviderKey(p.name));
  return { type: 'model_provider', name: p.name, kind: p.kind, base_url: p.baseUrl, local: p.local, builtin: p.builtin, has_key: key !== undefined && key !== '' };
}
