import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isErrno } from '../log/fsutil';
import { CheckedCatalog } from '../wire/model-catalog';
import { PROVIDERS_FILE } from '../wire/provider-names';
import { DISCOVERED_FILE, MODELS_FILE } from './config-file';

/**
 * The catalogue a process that only reads stored sessions prices them with: storageCatalog (catalog.ts) when the
 * storage has model configuration files, which it reads and checks in full; without any, the built-in catalogue that
 * storageCatalog would make, built without loading zod or those files' schemas (`hangar sessions`, issue #17).
 */
export async function storedSessionsCatalog(storageRoot: string): Promise<CheckedCatalog> {
  const present = await Promise.all(
    [MODELS_FILE, PROVIDERS_FILE, DISCOVERED_FILE].map((name) => fsp.access(path.join(storageRoot, name)).then(
      () => true,
      // A file it may not read is catalog.ts's to report.
      (err: unknown) => !isErrno(err, 'ENOENT', 'ENOTDIR'),
    )),
  );
  if (!present.includes(true)) return new CheckedCatalog();
  return (await import('./catalog')).storageCatalog(storageRoot);
}
