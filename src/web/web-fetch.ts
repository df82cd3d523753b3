import * as z from 'zod';
import type { SessionEvent } from '../wire';
import type { ToolOutcome } from '../wire/tool-outcome';
import { normaliseHost } from '../vault/proxy/hosts';
import { domainCovers, DomainList, oneDomainList } from './domains';
import { assertFetchable, GetError, httpGet, type GetOptions, type GetResult } from './http-get';
import { UrlSources, urlNotOffered } from './url-sources';

// The web_fetch tool (reference §5.2), run on the host, never in the sandbox: one GET under the environment's egress
// rules (http-get.ts), the page as Markdown, text types as they are, anything else a clear error. The agent's tool
// config narrows it further: allowed_domains / blocked_domains, max_content_tokens, url_sources.

export const WebFetchInput = z.strictObject({ url: z.string().min(1, 'must not be empty').describe('The http:// or https:// URL to fetch.') });

export const WEB_FETCH_DEFINITION = {
  name: 'web_fetch',
  description:
    'Fetch a web page or text document by URL and return its content: HTML pages as Markdown (the main article, with ' +
    'links made absolute), plain text, JSON and XML as they are. Only URLs that already appeared in the conversation ' +
    "(the user's messages, tool results such as web_search results or earlier fetches) can be fetched. Binary content " +
    "(images, PDFs, archives) is refused. Redirects are followed; the environment's network rules apply to every hop.",
  input_schema: z.toJSONSchema(WebFetchInput, { io: 'input' }) as { type: 'object'; [k: string]: unknown },
};

const MAX_CONTENT_TOKENS = 1_000_000;

/** The web_fetch entry of the agent's toolset, as the reference resolves it. */
export const WebFetchConfig = z
  .looseObject({
    allowed_domains: DomainList(false).nullish(),
    blocked_domains: DomainList(false).nullish(),
    max_content_tokens: z
      .number()
      .int('must be a whole number of tokens')
      .min(1, 'must be at least 1')
      .max(MAX_CONTENT_TOKENS, `must be at most ${MAX_CONTENT_TOKENS} (a page longer than that would not fit a model's context)`)
      .nullish(),
    url_sources: UrlSources.nullish(),
  })
  .superRefine(oneDomainList);
export type WebFetchConfig = z.infer<typeof WebFetchConfig>;

export const FETCH_LIMITS = { maxBytes: 10 * 1024 * 1024, maxRedirects: 10, timeoutMs: 30_000 };
/** Characters kept when the config sets no max_content_tokens (about 25k tokens). */
const DEFAULT_MAX_CHARS = 100_000;
/** A rough, deliberately generous characters-per-token ratio for English prose and Markdown. */
const CHARS_PER_TOKEN = 4;

const TEXT_TYPES = /^(text\/[\w.+-]+|application\/(json|xml|xhtml\+xml|javascript|ecmascript|ld\+json|rss\+xml|atom\+xml|x-ndjson|yaml|x-yaml|toml|[\w.+-]+\+(json|xml)))$/;
const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);

export interface WebFetchContext {
  events: readonly SessionEvent[];
  get: Omit<GetOptions, 'signal' | 'limits'> & { limits?: Partial<GetOptions['limits']> };
  signal: AbortSignal;
}

export async function webFetch(input: Record<string, unknown>, config: WebFetchConfig, ctx: WebFetchContext): Promise<ToolOutcome> {
  const parsed = WebFetchInput.safeParse(input);
  if (!parsed.success) return error(`web_fetch expects {url: string}: ${z.prettifyError(parsed.error)}`);
  let url: URL;
  try {
    url = new URL(parsed.data.url.trim());
  } catch {
    return error(`${JSON.stringify(parsed.data.url.slice(0, 300))} is not a valid URL; give an absolute http:// or https:// URL.`);
  }
  try {
    assertFetchable(url);
    const domain = domainProblem(url, config);
    if (domain) return error(domain);
    const notOffered = urlNotOffered(url, ctx.events, config.url_sources ?? null);
    if (notOffered) return error(notOffered);
    const limits = { ...FETCH_LIMITS, ...ctx.get.limits };
    const res = await httpGet(url, { ...ctx.get, limits, signal: ctx.signal, onHop: ctx.get.onHop });
    // The final URL of a redirect chain must also pass the agent's domain lists.
    const finalDomain = res.url.href === url.href ? null : domainProblem(res.url, config);
    if (finalDomain) return error(`${url.href} redirected to ${res.url.href}. ${finalDomain}`);
    return await render(res, config, limits.maxBytes);
  } catch (err) {
    if (err instanceof GetError) return error(err.message);
    throw err;
  }
}

function domainProblem(url: URL, config: WebFetchConfig): string | null {
  const host = normaliseHost(url.hostname) ?? url.hostname;
  if (config.allowed_domains && !config.allowed_domains.some((d) => domainCovers(d, url))) {
    return `${host} is not among this agent's web_fetch allowed_domains (${config.allowed_domains.join(', ')}).`;
  }
  if (config.blocked_domains?.some((d) => domainCovers(d, url))) return `${host} is in this agent's web_fetch blocked_domains.`;
  return null;
}

async function render(res: GetResult, config: WebFetchConfig, maxBytes: number): Promise<ToolOutcome> {
  const mime = (res.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const head = `URL: ${res.url.href}\nStatus: ${res.status}\n`;
  if (res.status >= 400) return error(`${head}The server answered ${res.status}.${res.body.length > 0 ? `\n\n${preview(decode(res))}` : ''}`);
  const isText = mime === '' ? !looksBinary(res.body) : TEXT_TYPES.test(mime);
  if (!isText) {
    return error(`${res.url.href} is ${mime || 'binary content'}, which web_fetch does not return: it fetches web pages and text (HTML, plain text, JSON, XML). Use another source for this file.`);
  }
  const text = decode(res);
  // The HTML stack (linkedom, Readability, turndown: about a megabyte) loads on the first HTML page, not with the
  // runtime: every CLI command opens a runtime, and Node spends its start compiling what it loads.
  const isHtml = HTML_TYPES.has(mime) || (mime === '' && /^\s*<(!doctype html|html)/i.test(text));
  const page = isHtml ? (await import('./readable')).htmlToMarkdown(text, res.url) : { title: null, markdown: text };
  const maxChars = config.max_content_tokens ? config.max_content_tokens * CHARS_PER_TOKEN : DEFAULT_MAX_CHARS;
  const notes: string[] = [];
  if (res.truncated) notes.push(`[The response was longer than ${maxBytes / (1024 * 1024)} MiB; only its beginning was read.]`);
  let body = page.markdown;
  if (body.length > maxChars) {
    body = body.slice(0, maxChars);
    notes.push(`[Content cut at ${maxChars} characters${config.max_content_tokens ? ` (max_content_tokens ${config.max_content_tokens})` : ''}.]`);
  }
  const title = page.title ? `Title: ${page.title}\n` : '';
  return { content: [{ type: 'text', text: `${title}${head}\n${body}${notes.length > 0 ? `\n\n${notes.join('\n')}` : ''}` }], is_error: false };
}

function decode(res: GetResult): string {
  const charset = /charset\s*=\s*"?([\w.:-]+)/i.exec(res.contentType ?? '')?.[1] ?? 'utf-8';
  try {
    return new TextDecoder(charset).decode(res.body);
  } catch {
    return new TextDecoder('utf-8').decode(res.body);
  }
}

function looksBinary(body: Buffer): boolean {
  return body.subarray(0, 4096).includes(0);
}

function preview(text: string): string {
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

function error(text: string): ToolOutcome {
  return { content: [{ type: 'text', text }], is_error: true };
}
