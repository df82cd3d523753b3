import { Runtime } from '../../../src/runtime';
import { LocalSandboxProvider } from '../../../src/sandbox/local';
import { MemoryVault } from '../../../src/vault/memory';
import { modelClientFor, type ModelApi } from '../../support/model-apis';

/**
 * The fresh runtime a crash test wakes a killed child's session in: the same storage and scripted model, the model API
 * `api` speaks, quick retries.
 */
export function wakeRuntime(api: ModelApi, storage: string, modelUrl: string, owner: string): Runtime {
  return new Runtime({
    storageRoot: storage,
    vault: new MemoryVault(),
    sandbox: new LocalSandboxProvider({ storageRoot: storage }),
    model: modelClientFor(api, modelUrl),
    retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 10 },
    owner,
  });
}
