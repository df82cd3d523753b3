import path from 'node:path';
import * as z from 'zod';
import { layerOverrides, ModelCatalog, ModelCatalogError, ModelCatalogOverrides, type ModelProviderConfig } from '../wire';
import { MODELS_FILE, readConfigJson } from './config-file';
import { loadProviderConfigs, readDiscovered } from './provider-files';

// The model catalogue a storage prices its sessions with. Its own module, so that a process that only reads stored
// sessions (stored-sessions.ts) prices them as the runtime does without loading the runtime.

/** The model catalogue with `<storage>/models.json` and then the runtime option applied, field by field. */
export function loadCatalog(storageRoot: string, overrides: ModelCatalogOverrides | undefined, providers: readonly ModelProviderConfig[]): ModelCatalog {
  const file = path.join(storageRoot, MODELS_FILE);
  let fromFile: ModelCatalogOverrides = {};
  const raw = readConfigJson(file);
  if (raw !== undefined) {
    const parsed = ModelCatalogOverrides.safeParse(raw);
    if (!parsed.success) throw new ModelCatalogError(`${file} is not a valid model catalogue override: ${z.prettifyError(parsed.error)}`);
    fromFile = parsed.data;
  }
  return new ModelCatalog(layerOverrides(fromFile, overrides ?? {}), { configs: providers, discovered: readDiscovered(storageRoot) });
}

/** The catalogue of a runtime opened on `storageRoot` without catalogue or provider options (the CLI's). */
export function storageCatalog(storageRoot: string): ModelCatalog {
  return loadCatalog(storageRoot, undefined, loadProviderConfigs(storageRoot, undefined));
}
