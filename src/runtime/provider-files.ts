import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { lazySchema } from '../wire/lazy';
import { DISCOVERED_FILE, readConfigJson } from './config-file';
import { ModelCatalogError, ModelProviderConfigs, PROVIDERS_FILE, ProviderModelInfo, type ModelProviderConfig } from '../wire';

// What a storage says about model providers: the configured ones (`<storage>/model-providers.json`) and what their
// models endpoints last said (`<storage>/provider-models.json`). Apart from model-providers.ts, which makes the
// providers' clients: pricing stored sessions (catalog.ts, `hangar sessions`) reads these files and must not load the
// model clients (issue #17, CLI start).

export { DISCOVERED_FILE };

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
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path.join(storageRoot, DISCOVERED_FILE), 'utf8'));
  } catch {
    return {};
  }
  // Read first: without the file, the schema (all of ProviderModelInfo) is never built.
  const parsed = Discovered.safeParse(raw);
  return parsed.success ? parsed.data : {};
}
