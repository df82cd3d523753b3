import type Anthropic from '@anthropic-ai/sdk';
import * as z from 'zod';
import type { SessionAgent, SessionEvent } from '../wire';
import type { ToolOutcome } from '../wire/tool-outcome';
import type { HostTools, ModelTool } from '../harness/tools';
import { systemLookup, type Lookup } from '../vault/proxy/decide';
import { EgressLog } from '../vault/proxy/egress-log';
import { credentialsFor, type EgressPolicy } from '../vault/proxy/policy';
import type { Hop } from './http-get';
import { WEB_SEARCH_DEFINITION, WebSearchConfig, webSearch, type WebSearchSettings } from './search';
import { WEB_FETCH_DEFINITION, WebFetchConfig, webFetch, type FETCH_LIMITS } from './web-fetch';

export { WebSearchSettings } from './search';

// The host-side web tools of one agent (ARCHITECTURE.md, "Web tools"): web_fetch under the session's egress policy,
// web_search through the configured search endpoint or, without one, the model provider's own server-side search.
// What cannot run is not offered, and unavailable() says why.

export interface WebRuntime {
  /** The session's egress policy as it is now (allow-list, credentials, its egress.jsonl); null: the session is gone. */
  policy: () => Promise<EgressPolicy | null>;
  /** The egress proxy's lookup and allowPrivate (tests: loopback names), so both paths out judge hosts alike. */
  lookup?: Lookup;
  allowPrivate?: (host: string, address: string) => boolean;
  upstreamCa?: readonly string[];
  search: WebSearchSettings | null;
  /** The model's provider searches on its side (ModelClient.serverWebSearch): used when no endpoint is configured. */
  providerSearch: boolean;
  log: EgressLog;
  /** Test seams: smaller limits than the defaults. */
  fetchLimits?: Partial<typeof FETCH_LIMITS>;
}

/**
 * Why an agent toolset's web_fetch / web_search entry is invalid in itself, whatever the runtime's settings, or null:
 * checked when the agent is created or updated (ARCHITECTURE.md invariant 8). What depends on the runtime (a search
 * endpoint, the model's provider) is judged at session start by unavailable().
 */
export function webToolConfigProblem(config: { name: string }): string | null {
  const schema = config.name === 'web_fetch' ? WebFetchConfig : config.name === 'web_search' ? WebSearchConfig : null;
  const parsed = schema?.safeParse(config);
  if (!parsed || parsed.success) return null;
  const issues = parsed.error.issues.map((i) => `${[config.name, ...i.path].join('.')}: ${i.message}`);
  return `the agent toolset's ${config.name} config is invalid: ${issues.join('; ')}.`;
}

const NO_SEARCH_BACKEND =
  "no search backend is configured and the model's provider has no server-side search. Set a SearXNG-style JSON search endpoint: HANGAR_WEB_SEARCH_URL for the CLI, or the hangar.webSearch.url setting in VS Code.";

export class WebTools implements HostTools {
  private readonly fetchConfig: z.ZodSafeParseResult<WebFetchConfig> | null;
  private readonly searchConfig: z.ZodSafeParseResult<WebSearchConfig> | null;

  constructor(
    agent: Pick<SessionAgent, 'tools'>,
    private readonly rt: WebRuntime,
  ) {
    const configs = agent.tools.flatMap((t) => (t.type === 'agent_toolset_20260401' ? t.configs : []));
    const of = (name: string) => configs.find((c) => c.name === name && c.enabled);
    const fetch = of('web_fetch');
    const search = of('web_search');
    this.fetchConfig = fetch ? WebFetchConfig.safeParse(fetch) : null;
    this.searchConfig = search ? WebSearchConfig.safeParse(search) : null;
  }

  definitions(): ModelTool[] {
    const search = this.runs('web_search') ? [WEB_SEARCH_DEFINITION] : this.providerSearches() ? [this.providerDefinition()] : [];
    return [...(this.runs('web_fetch') ? [WEB_FETCH_DEFINITION] : []), ...search];
  }

  /** web_search is the provider's server tool: the model's reply carries the search and its results. */
  providerSearches(): boolean {
    return !this.rt.search && this.unavailable('web_search') === null && this.searchConfig?.success === true;
  }

  runs(name: string): boolean {
    if (name === 'web_search' && !this.rt.search) return false;
    return (name === 'web_fetch' || name === 'web_search') && this.unavailable(name) === null && this.configOf(name) !== null;
  }

  unavailable(name: string): string | null {
    const config = this.configOf(name);
    if (!config) return null;
    if (!config.success) return `its tool config is invalid (${z.prettifyError(config.error)}).`;
    if (name !== 'web_search') return null;
    const search = config.data as WebSearchConfig;
    if (this.rt.search) {
      return search.user_location ? "its user_location is set, which the configured search endpoint cannot apply; remove user_location from the agent's web_search config." : null;
    }
    if (!this.rt.providerSearch) return NO_SEARCH_BACKEND;
    const policy = search.permission_policy?.type ?? 'always_allow';
    if (policy !== 'always_allow') {
      return `its permission policy is ${policy}, but the model's provider runs its searches without asking. Set web_search's permission_policy to always_allow, or configure a search endpoint (HANGAR_WEB_SEARCH_URL, hangar.webSearch.url), whose calls can wait for approval.`;
    }
    return null;
  }

  async call(name: string, input: Record<string, unknown>, events: readonly SessionEvent[], signal: AbortSignal): Promise<ToolOutcome> {
    const policy = await this.rt.policy();
    if (!policy) return { content: [{ type: 'text', text: 'The session no longer exists.' }], is_error: true };
    if (name === 'web_search' && this.rt.search) {
      const host = new URL(this.rt.search.url).hostname;
      return webSearch(input, (this.searchConfig?.data ?? {}) as WebSearchConfig, { settings: this.rt.search, headers: credentialHeaders(policy, host), signal });
    }
    const onHop = (hop: Hop) => this.rt.log.write(policy.logFile, { ts: new Date().toISOString(), session: policy.sessionId, client: 'web_fetch (host)', method: 'GET', ...hop });
    return webFetch(input, (this.fetchConfig?.data ?? {}) as WebFetchConfig, {
      events,
      signal,
      get: { policy, lookup: this.rt.lookup ?? systemLookup, allowPrivate: this.rt.allowPrivate, upstreamCa: this.rt.upstreamCa, limits: this.rt.fetchLimits, onHop },
    });
  }

  /** Anthropic's web search server tool with the agent's domain lists and location (reference §5.2). */
  private providerDefinition(): Anthropic.WebSearchTool20250305 {
    const c = (this.searchConfig?.data ?? {}) as WebSearchConfig;
    return {
      type: 'web_search_20250305',
      name: 'web_search',
      ...(c.allowed_domains ? { allowed_domains: c.allowed_domains } : {}),
      ...(c.blocked_domains ? { blocked_domains: c.blocked_domains } : {}),
      ...(c.user_location ? { user_location: c.user_location as Anthropic.WebSearchTool20250305.UserLocation } : {}),
    };
  }

  private configOf(name: string) {
    return name === 'web_fetch' ? this.fetchConfig : name === 'web_search' ? this.searchConfig : null;
  }
}

/** Header credentials of the session's vaults that belong to the search endpoint's host (its API key). */
function credentialHeaders(policy: EgressPolicy, host: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const c of credentialsFor(policy, host)) if (c.injection.kind === 'header' && !(c.injection.name.toLowerCase() in headers)) headers[c.injection.name.toLowerCase()] = c.injection.value;
  return headers;
}
