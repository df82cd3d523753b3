import { BUILTIN_PROVIDER, providerIsLocal, qualifiedModel, unknownProviderProblem, type ModelProviderConfig, type ModelProviderKind, type ProviderModelInfo, type QualifiedModel } from '../wire';
import { fetchProviderModels, type ModelsAnswer } from './provider-models';
import type { ModelClient, ModelRequest, ModelStreamEvent } from './types';

// The model providers of a runtime (issue #14): the built-in one (the Messages API the surface configured, or a
// scripted model in tests) and the configured ones, each a ModelClient made on first use. The harness sees one
// ModelClient (`router()`) that sends a request to the provider its model id names, with the provider's own id.
// Model lists come from each provider's models endpoint, kept for a minute, and what they say about limits, prices and
// tool support goes to the catalogue (`onDiscovered`).

export interface ProviderRegistryOptions {
  configs: readonly ModelProviderConfig[];
  /** The built-in provider's client. */
  builtin: ModelClient;
  /** Where the built-in provider lists its models (`<base>/v1/models`); default api.anthropic.com. */
  builtinBaseUrl?: string;
  /** Model ids the built-in provider offers when it cannot list them (the catalogue's). */
  builtinModels: () => string[];
  /** A provider's key (the vault's), looked up on every request; undefined when none is set. */
  apiKey: (provider: string) => Promise<string | undefined>;
  /** Makes a configured provider's client (by kind). */
  createClient: (config: ModelProviderConfig, apiKey: () => Promise<string | undefined>) => ModelClient;
  fetch?: typeof globalThis.fetch;
  /** What a models endpoint said about its models, by full id (`ollama/qwen3-coder`). */
  onDiscovered?: (models: Record<string, ProviderModelInfo>) => void;
}

export interface ProviderInfo {
  name: string;
  kind: ModelProviderKind;
  baseUrl: string;
  local: boolean;
  builtin: boolean;
}

export interface ProviderModels extends ProviderInfo {
  /** Full ids (`ollama/qwen3-coder`; the built-in provider's without a prefix) with what the provider said. */
  models: ProviderModelInfo[];
  /** Why the list could not be read (the models then are the configured or catalogue ones, possibly none). */
  problem: string | null;
  /** The provider named its models (endpoint or configuration): a model not among them does not exist there. */
  listed: boolean;
  /** It was reached but has no models endpoint (and no configured list): its models are not known in advance. */
  unlisted?: boolean;
}

const LIST_TTL_MS = 60_000;
const ANTHROPIC_API = 'https://api.anthropic.com';

export class ModelProviders {
  private readonly configs: ReadonlyMap<string, ModelProviderConfig>;
  private readonly clients = new Map<string, ModelClient>();
  private readonly lists = new Map<string, { at: number; answer: Promise<ModelsAnswer> }>();

  constructor(private readonly opts: ProviderRegistryOptions) {
    this.configs = new Map(opts.configs.map((c) => [c.name, c]));
  }

  providers(): ProviderInfo[] {
    const builtinUrl = this.opts.builtinBaseUrl ?? ANTHROPIC_API;
    return [
      { name: BUILTIN_PROVIDER, kind: 'anthropic', baseUrl: builtinUrl, local: providerIsLocal({ name: 'builtin', kind: 'anthropic', baseUrl: builtinUrl }), builtin: true },
      ...[...this.configs.values()].map((c) => ({ name: c.name, kind: c.kind, baseUrl: c.baseUrl, local: providerIsLocal(c), builtin: false })),
    ];
  }

  resolve(modelId: string): QualifiedModel {
    return qualifiedModel(modelId, new Set(this.configs.keys()));
  }

  /** Why an agent cannot name this model id (a provider prefix that is not configured), or null. */
  unknownProvider(modelId: string): string | null {
    return unknownProviderProblem(modelId, [...this.configs.keys()]);
  }

  /** The client every session's requests go through: it routes each request by its model id. */
  router(): ModelClient {
    return {
      serverWebSearch: this.opts.builtin.serverWebSearch,
      stream: (request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent> => {
        const q = this.resolve(request.model);
        return this.client(q.provider).stream({ ...request, model: q.model }, signal);
      },
    };
  }

  /** Whether web_search can be the provider's server tool for this model (only Anthropic's own API runs it). */
  serverWebSearch(modelId: string): boolean {
    return this.client(this.resolve(modelId).provider).serverWebSearch === true;
  }

  /** Whether the model's provider has the key it needs: the built-in provider always needs one; others may not. */
  async hasKey(modelId: string): Promise<boolean> {
    const { provider } = this.resolve(modelId);
    return provider !== BUILTIN_PROVIDER || (await this.opts.apiKey(provider)) !== undefined;
  }

  /** A provider's models, from its models endpoint (kept a minute; `fresh` asks again), else its configured list. */
  async models(name: string, fresh = false): Promise<ProviderModels> {
    const info = this.providers().find((p) => p.name === name);
    if (!info) throw new Error(`no model provider named "${name}"`);
    const config = this.configs.get(name);
    if (info.builtin && !(await this.opts.apiKey(name))) {
      return { ...info, models: this.opts.builtinModels().map((id) => ({ id })), problem: 'No API key is set, so its model list was not asked for (these are the catalogue\'s).', listed: false, unlisted: true };
    }
    const answer = await this.answer(info, fresh);
    const prefix = info.builtin ? '' : `${name}/`;
    if (answer.ok) {
      const wanted = config?.models;
      const models = answer.models.filter((m) => !wanted || wanted.includes(m.id)).map((m) => ({ ...m, id: prefix + m.id }));
      if (!info.builtin) this.opts.onDiscovered?.(Object.fromEntries(models.map((m) => [m.id, m])));
      return { ...info, models, problem: null, listed: true };
    }
    const fallback = config ? (config.models ?? []) : info.builtin ? this.opts.builtinModels() : [];
    // A server without a models endpoint is fine when its models are configured; the built-in provider has the catalogue.
    const known = fallback.length > 0 || info.builtin;
    const problem = answer.noEndpoint && known ? null : `${answer.reason}${answer.noEndpoint ? ' List its models in the provider\'s "models".' : ''}`;
    return { ...info, models: fallback.map((id) => ({ id: prefix + id })), problem, listed: fallback.length > 0, ...(answer.noEndpoint && !known ? { unlisted: true } : {}) };
  }

  /**
   * Why a session cannot start on this model, or null: its provider cannot be reached or does not list it, or it takes
   * no tools while the agent has some. The built-in provider is not asked (the API answers an unknown model itself).
   */
  async sessionProblem(modelId: string, needsTools: boolean, toolsOf: (id: string) => boolean | undefined): Promise<string | null> {
    const unknown = this.unknownProvider(modelId);
    if (unknown) return unknown;
    const q = this.resolve(modelId);
    if (q.provider !== BUILTIN_PROVIDER) {
      const listed = await this.models(q.provider);
      if (listed.problem && !listed.unlisted) return `model ${modelId} cannot be used: ${listed.problem}`;
      const found = !listed.listed || listed.models.some((m) => m.id === modelId || m.id === `${modelId}:latest`);
      if (!found) {
        const names = listed.models.map((m) => m.id);
        const lists = names.length === 0 ? 'it lists no models' : `it lists ${names.slice(0, 10).join(', ')}${names.length > 10 ? `, and ${names.length - 10} more` : ''}`;
        return `${q.provider} has no model "${q.model}" (${lists}). Check the name, or make the model available there first (Ollama: ollama pull ${q.model}).`;
      }
    }
    if (needsTools && toolsOf(modelId) === false) {
      return `model ${modelId} does not support tool calls, and this agent has tools. Pick a model that supports tools, or disable the agent's tools.`;
    }
    return null;
  }

  private client(name: string): ModelClient {
    if (name === BUILTIN_PROVIDER) return this.opts.builtin;
    let client = this.clients.get(name);
    if (!client) {
      const config = this.configs.get(name);
      if (!config) throw new Error(`no model provider named "${name}"`);
      client = this.opts.createClient(config, () => this.opts.apiKey(name));
      this.clients.set(name, client);
    }
    return client;
  }

  private answer(info: ProviderInfo, fresh: boolean): Promise<ModelsAnswer> {
    const kept = this.lists.get(info.name);
    if (kept && !fresh && Date.now() - kept.at < LIST_TTL_MS) return kept.answer;
    const answer = (async () =>
      fetchProviderModels({
        kind: info.kind,
        baseUrl: info.baseUrl,
        apiKey: await this.opts.apiKey(info.name),
        headers: this.configs.get(info.name)?.headers,
        fetch: this.opts.fetch,
      }))();
    this.lists.set(info.name, { at: Date.now(), answer });
    // Only a list is kept: a provider that failed is asked again next time (it may have been started meanwhile).
    void answer.then((a) => {
      if (!a.ok && this.lists.get(info.name)?.answer === answer) this.lists.delete(info.name);
    });
    return answer;
  }
}
