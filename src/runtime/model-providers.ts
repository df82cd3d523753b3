import path from 'node:path';
import { writeFileAtomic } from '../log/fsutil';
import { DISCOVERED_FILE, readDiscovered } from './provider-files';
import { ModelProviders } from '../model/registry';
import { createProviderClient } from '../model/provider-clients';
import type { ModelClient } from '../model/types';
import { BUILTIN_PROVIDER, modelProviderKey, type ModelCatalog, type ModelProviderConfig } from '../wire';
import { MODEL_API_KEY, type Vault } from '../vault/types';

// The runtime's model providers: `<storage>/model-providers.json` (the CLI's configuration) and then the runtime
// option (VS Code's hangar.modelProviders), a later provider of the same name replacing an earlier one; keys from the
// vault; and `<storage>/provider-models.json`, what providers' models endpoints last said (context windows, prices,
// tool support), so every process sharing the storage prices and limits a provider's models alike. Those files are
// read by provider-files.ts.

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
