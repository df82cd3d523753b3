import type { ModelProviderConfig } from './model-providers';

// Provider names and ids, without zod: the CLI's start-up chunk uses them (set-key --model-provider) without loading it.

/** The CLI's provider configuration, in the storage directory. */
export const PROVIDERS_FILE = 'model-providers.json';

/** The built-in provider, which serves every id without a provider prefix. */
export const BUILTIN_PROVIDER = 'anthropic';

export const PROVIDER_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;

/** A model id split into its provider and the id the provider knows it by. */
export interface QualifiedModel {
  provider: string;
  /** The provider's own id (`qwen3-coder:30b`, `meta-llama/llama-3.3-70b-instruct`). */
  model: string;
}

/**
 * The provider of a model id: the part before the first `/` when a provider of that name is configured (or it is
 * `anthropic/…`), else the built-in provider with the whole id. `known` are the configured provider names.
 */
export function qualifiedModel(id: string, known: ReadonlySet<string> | readonly string[]): QualifiedModel {
  const slash = id.indexOf('/');
  if (slash > 0) {
    const provider = id.slice(0, slash);
    const names = known instanceof Set ? known : new Set(known);
    if (provider === BUILTIN_PROVIDER || names.has(provider)) return { provider, model: id.slice(slash + 1) };
  }
  return { provider: BUILTIN_PROVIDER, model: id };
}

/** Why this model id names no configured provider (a `name/…` prefix that looks like one), or null. */
export function unknownProviderProblem(id: string, known: readonly string[]): string | null {
  const slash = id.indexOf('/');
  if (slash <= 0) return null;
  const provider = id.slice(0, slash);
  if (provider === BUILTIN_PROVIDER || known.includes(provider) || !PROVIDER_NAME.test(provider)) return null;
  const listed = [BUILTIN_PROVIDER, ...known].join(', ');
  return `model "${id}" names the provider "${provider}", which is not configured (providers: ${listed}). Add it to the hangar.modelProviders setting (VS Code) or <storage>/model-providers.json (CLI), or use one of those.`;
}

/** Whether a base URL points at this machine (its models are free to run). */
export function isLocalUrl(baseUrl: string): boolean {
  let host: string;
  try {
    host = new URL(baseUrl).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '0.0.0.0';
}

/** Whether a provider's models run on this machine (priced at zero). */
export function providerIsLocal(p: ModelProviderConfig): boolean {
  return p.local ?? isLocalUrl(p.baseUrl);
}

/** Where a provider's key lives in any Vault (the built-in provider keeps MODEL_API_KEY). */
export const modelProviderKey = (name: string): string => `model-provider/${name}`;
