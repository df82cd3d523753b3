import path from 'node:path';
import { Runtime } from '../runtime';
import { vaultMcpFactory } from '../runtime/mcp';
import { createAnthropicModel } from '../model/anthropic';
import type { ModelClient } from '../model/types';
import { createProvider, type ProviderKind } from '../runtime/providers';
import type { SandboxProvider } from '../sandbox/types';
import { FileVault, defaultVaultPath } from '../vault/file-vault';
import { OverlayVault } from '../vault/overlay';
import { MODEL_API_KEY } from '../vault/types';
import { defaultStorage } from './storage-dir';

// How the CLI opens a runtime: per-user storage, the per-user vault file (ANTHROPIC_API_KEY, when set, wins for the
// model key), the chosen sandbox provider.

export interface CliRuntimeOptions {
  storage?: string;
  /** The vault file; default: <storage>/vault.json when a storage dir is given, else $HANGAR_HOME or XDG config. */
  vaultFile?: string;
  provider?: ProviderKind;
  /** An already chosen provider (wins over `provider`). */
  sandbox?: SandboxProvider;
  model?: ModelClient;
  onProgress?: (message: string) => void;
  /** Told once when "auto" falls back to the local sandbox, and why. */
  onNotice?: (message: string) => void;
}

export { defaultStorage };

export async function openCliRuntime(opts: CliRuntimeOptions = {}): Promise<Runtime> {
  const storageRoot = opts.storage ?? defaultStorage();
  const file = opts.vaultFile ?? (opts.storage ? path.join(opts.storage, 'vault.json') : defaultVaultPath());
  const vault = new OverlayVault(new FileVault(file), { [MODEL_API_KEY]: process.env.ANTHROPIC_API_KEY });
  const baseURL = process.env.ANTHROPIC_BASE_URL || undefined;
  const model = opts.model ?? createAnthropicModel({ apiKey: () => vault.get(MODEL_API_KEY), baseURL });
  const provider = opts.sandbox ?? (await createProvider(opts.provider ?? 'auto', storageRoot, opts.onNotice));
  return new Runtime({
    storageRoot,
    vault,
    sandbox: provider,
    model,
    modelBaseUrl: baseURL,
    owner: 'cli',
    mcp: vaultMcpFactory(storageRoot, vault),
    // An invalid URL stops the runtime with the reason (WebSearchSettingError), as a wrong models.json does.
    ...(process.env.HANGAR_WEB_SEARCH_URL ? { webSearch: { url: process.env.HANGAR_WEB_SEARCH_URL } } : {}),
    onProgress: (_id, m) => opts.onProgress?.(m),
  });
}

