import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { lazySchema } from '../wire/lazy';
import { writeFileAtomic } from '../log/fsutil';
import { readConfigJson } from './config-file';
import { ModelProviders } from '../model/registry';
import { createProviderClient } from '../model/provider-clients';
import type { ModelClient } from '../model/types';
import { BUILTIN_PROVIDER, ModelCatalogError, ModelProviderConfigs, PROVIDERS_FILE, ProviderModelInfo, modelProviderKey, type ModelCatalog, type ModelProviderConfig } from '../wire';
import { MODEL_API_KEY, type Vault } from '../vault/types';

// The runtime's model providers: `<storage>/model-providers.json` (the CLI's configuration) and then the runtime
// option (VS Code's hangar.modelProviders), a later provider of the same name replacing an earlier one; keys from the
// vault; and `<storage>/provider-models.json`, what providers' models endpoints last said (context windows, prices,
// tool support), so every process sharing the storage prices and limits a provider's models alike.

const DISCOVERED_FILE = 'provider-models.json';

/** The configured providers; a file or option that is not a valid list refuses the runtime's start with the reason. */
export function loadProviderConfigs(storageRoot: string, option: unknown): ModelProviderConfig[] {
  const file = path.join(storageRoot, PROVIDERS_FILE);
  const raw = readConfigJson(file);
  const fromFile = raw === undefined ? [] : parseConfigs(raw, file);
  const fromOption = option === undefined ? [] : parseConfigs(option, 'the model providers setting');
  const byName = new Map([...fromFile, ...fromOption].map((p) => [p.name, p]));
  return [...byName.values()];
}

function parseConfigs(raw: unknown, where: string): ModelProviderConfig[] {
  const parsed = ModelProviderConfigs.safeParse(raw);
  if (!parsed.success) {
    throw new ModelCatalogError(
      `${where} is not a valid list of model providers: ${z.prettifyError(parsed.error)} (expected [{"name": "ollama", "kind": "openai", "baseUrl": "http://localhost:11434/v1"}]).`,
    );
  }
  return parsed.data;
}

const Discovered = lazySchema(() => z.record(z.string(), ProviderModelInfo));

/** What providers' models endpoints said last time; a missing or unreadable file is an empty one (it is a cache). */
export function readDiscovered(storageRoot: string): Record<string, ProviderModelInfo> {
  try {
    const parsed = Discovered.safeParse(JSON.parse(readFileSync(path.join(storageRoot, DISCOVERED_FILE), 'utf8')));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

export interface RuntimeProvidersOptions {
  storageRoot: string;
  configs: readonly ModelProviderConfig[];
  vault: Vault;
  builtin: ModelClient;
  builtinBaseUrl?: string;
  catalog: ModelCatalog;
  createClient?: (config: ModelProviderConfig, apiKey: () => Promise<string | undefined>) => ModelClient;
}

export function runtimeProviders(o: RuntimeProvidersOptions): ModelProviders {
  const file = path.join(o.storageRoot, DISCOVERED_FILE);
  let writing = Promise.resolve();
  return new ModelProviders({
    configs: o.configs,
    builtin: o.builtin,
    builtinBaseUrl: o.builtinBaseUrl,
    builtinModels: () => o.catalog.ids(),
    apiKey: (name) => o.vault.get(name === BUILTIN_PROVIDER ? MODEL_API_KEY : modelProviderKey(name)),
    createClient: o.createClient ?? createProviderClient,
    onDiscovered: (models) => {
      o.catalog.discover(models);
      // A cache: a write that fails leaves the last one, and the next listing asks the provider again.
      writing = writing.then(() => writeFileAtomic(file, JSON.stringify({ ...readDiscovered(o.storageRoot), ...models }))).catch(() => undefined);
    },
  });
}
