import * as z from 'zod';
import type { ToolResultBlock } from '../wire';
import type { ToolOutcome } from '../wire/tool-outcome';
import { domainCovers, DomainList, oneDomainList } from './domains';

// web_search over a search endpoint the user configured (the `webSearch` setting), for models whose provider has no
// search of its own: a SearXNG-style JSON API (`GET <url>?q=…&format=json` → `{results: [{url, title, content}]}`).
// The endpoint is the user's own choice, not the agent's, so it is not held to the environment's allow-list; a key
// it needs is a vault credential (an http_header credential whose allowed_hosts name the endpoint's host), added
// here on the host and never shown to the model. Results come back as search_result blocks (reference §3.6).

export const WebSearchSettings = z.strictObject({
  /** The endpoint; `q` and `format=json` are added to its query. */
  url: z.url({ protocol: /^https?$/ }),
});
export type WebSearchSettings = z.infer<typeof WebSearchSettings>;

export const WebSearchInput = z.strictObject({ query: z.string().trim().min(1, 'must not be empty').max(500).describe('What to search the web for.') });

export const WEB_SEARCH_DEFINITION = {
  name: 'web_search',
  description:
    'Search the web. Returns up to 10 results, each with its URL, title and a snippet; fetch a result with web_fetch ' +
    'to read it. Use it for facts that may have changed since training or that the workspace does not hold.',
  input_schema: z.toJSONSchema(WebSearchInput, { io: 'input' }) as { type: 'object'; [k: string]: unknown },
};

/** The web_search entry of the agent's toolset (reference §5.2). */
export const WebSearchConfig = z
  .looseObject({
    permission_policy: z.object({ type: z.string() }).nullish(),
    allowed_domains: DomainList(true).nullish(),
    blocked_domains: DomainList(true).nullish(),
    user_location: z
      .strictObject({
        type: z.literal('approximate'),
        city: z.string().min(1).max(255).nullish(),
        region: z.string().min(1).max(255).nullish(),
        country: z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter ISO 3166-1 country code ("US")').nullish(),
        timezone: z.string().refine(isTimeZone, 'must be an IANA time zone ("America/New_York")').nullish(),
      })
      .nullish(),
  })
  .superRefine(oneDomainList);
export type WebSearchConfig = z.infer<typeof WebSearchConfig>;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const SearxResults = z.object({
  results: z.array(z.looseObject({ url: z.string(), title: z.string().nullish(), content: z.string().nullish() })),
});

const MAX_RESULTS = 10;
const MAX_BODY = 2 * 1024 * 1024;
const TIMEOUT_MS = 20_000;

export interface SearchRequest {
  settings: WebSearchSettings;
  /** Headers a vault credential adds for the endpoint's host (never logged, never shown). */
  headers: Record<string, string>;
  signal: AbortSignal;
}

export async function webSearch(input: Record<string, unknown>, config: WebSearchConfig, req: SearchRequest): Promise<ToolOutcome> {
  const parsed = WebSearchInput.safeParse(input);
  if (!parsed.success) return error(`web_search expects {query: string}: ${z.prettifyError(parsed.error)}`);
  const url = new URL(req.settings.url);
  url.searchParams.set('q', parsed.data.query);
  url.searchParams.set('format', 'json');
  const host = url.host;
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json', ...req.headers }, redirect: 'error', signal: AbortSignal.any([req.signal, AbortSignal.timeout(TIMEOUT_MS)]) });
  } catch (err) {
    if (req.signal.aborted) throw err;
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err instanceof Error ? err.message : String(err));
    return error(`The search service at ${host} could not be reached (${cause}). Try again later; the user can check Hangar's webSearch setting.`);
  }
  const text = await readText(res);
  if (!res.ok) return error(`The search service at ${host} answered ${res.status}${text ? `: ${text.slice(0, 300)}` : ''}. Try again later or with another query.`);
  let body: z.infer<typeof SearxResults>;
  try {
    body = SearxResults.parse(JSON.parse(text));
  } catch {
    return error(`The search service at ${host} did not answer with search results (expected JSON with a "results" list).`);
  }
  const results = body.results.filter((r) => keeps(r.url, config)).slice(0, MAX_RESULTS);
  if (results.length === 0) return { content: [{ type: 'text', text: `No results for "${parsed.data.query}".` }], is_error: false };
  const blocks: ToolResultBlock[] = results.map((r) => ({
    type: 'search_result',
    source: r.url,
    title: r.title?.trim() || r.url,
    content: [{ type: 'text', text: r.content?.trim() || '(no snippet)' }],
    citations: { enabled: true },
  }));
  return { content: blocks, is_error: false };
}

/** allowed_domains / blocked_domains: a domain covers its subdomains; an entry with a path matches URLs under it. */
function keeps(raw: string, config: WebSearchConfig): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const covers = (entry: string) => domainCovers(entry, url);
  if (config.allowed_domains && !config.allowed_domains.some(covers)) return false;
  return !config.blocked_domains?.some(covers);
}

async function readText(res: Response): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size > MAX_BODY) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

function error(text: string): ToolOutcome {
  return { content: [{ type: 'text', text }], is_error: true };
}
