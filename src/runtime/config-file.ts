import { existsSync, readFileSync } from 'node:fs';
import { ModelCatalogError } from '../wire/model-catalog';

// The storage's model configuration files (models.json, model-providers.json) are optional; one that is there but not
// JSON stops the runtime's start with the file and the parser's reason.

/** The storage's model catalogue overrides. */
export const MODELS_FILE = 'models.json';
/** What the configured providers' models endpoints said last time (a cache, provider-files.ts). */
export const DISCOVERED_FILE = 'provider-models.json';

/** The parsed JSON of `file`; undefined when there is no such file. */
export function readConfigJson(file: string): unknown {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ModelCatalogError(`${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
