import type { ModelProviderKind, ProviderModelInfo } from '../wire';
import { causeOf } from './http-errors';
import { withOllamaDetails } from './ollama-show';

// A provider's own model list (`GET <base>/models` for OpenAI-compatible APIs, `GET <base>/v1/models` for the
// Messages API), with what each entry says about its limits, tool support and prices. Servers differ in which fields
// they add: vLLM's max_model_len, OpenRouter's context_length / supported_parameters / pricing (USD per token),
// LM Studio's max_context_length and capabilities; Ollama's /api/show beside it (ollama-show.ts). A failure is a sentence the person can act on: the server is not
// running, the key was refused, the base URL points at a web page, the server has no models endpoint.

export interface ModelsRequest {
  kind: ModelProviderKind;
  baseUrl: string;
  apiKey?: string;
  headers?: Record<string, string>;
  fetch?: typeof globalThis.fetch;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export type ModelsAnswer =
  | { ok: true; models: ProviderModelInfo[] }
  /** `noEndpoint`: the server answered 404 (it has no models list; a configured `models` list stands in). */
  | { ok: false; reason: string; noEndpoint?: boolean };

const TIMEOUT_MS = 5_000;

export async function fetchProviderModels(req: ModelsRequest): Promise<ModelsAnswer> {
  const base = req.baseUrl.replace(/\/+$/, '');
  const url = req.kind === 'anthropic' ? `${base}/v1/models?limit=1000` : `${base}/models`;
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  if (req.apiKey) {
    if (req.kind === 'anthropic') headers['x-api-key'] = req.apiKey;
    else headers.authorization = `Bearer ${req.apiKey}`;
  }
  if (req.kind === 'anthropic') headers['anthropic-version'] = '2023-06-01';
  const timeout = AbortSignal.timeout(req.timeoutMs ?? TIMEOUT_MS);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  const fetch = req.fetch ?? globalThis.fetch;
  let res: Response;
  try {
    res = await fetch(url, { headers, signal });
  } catch (err) {
    if (timeout.aborted) return { ok: false, reason: `${base} did not answer within ${Math.round((req.timeoutMs ?? TIMEOUT_MS) / 100) / 10} s.` };
    return { ok: false, reason: `Can't reach ${base} (${err instanceof Error ? causeOf(err) : String(err)}). Check that the server runs and the base URL is right.` };
  }
  const text = await res.text().catch(() => '');
  const html = /^\s*<(!doctype html|html|head|body)/i.test(text) || (res.headers.get('content-type') ?? '').includes('text/html');
  if (res.status === 401 || res.status === 403) return { ok: false, reason: `${base} refused the API key (${res.status}${html ? '' : `: ${errorMessage(text)}`}). Set this provider's key.` };
  if (res.status === 404 && !html) return { ok: false, reason: `${base} has no models endpoint (404 on ${url}).`, noEndpoint: true };
  if (html) {
    return { ok: false, reason: `${base} answered ${url} with an HTML page (${res.status}), not the ${req.kind === 'anthropic' ? 'Messages' : 'OpenAI-compatible'} API. Check the base URL${req.kind === 'openai' ? ' (it usually ends in /v1)' : ''}.` };
  }
  if (!res.ok) return { ok: false, reason: `${base} failed to list its models (${res.status}: ${errorMessage(text)}).` };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, reason: `${base} answered ${url} with something that is not JSON. Check the base URL.` };
  }
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return { ok: false, reason: `${base} answered ${url} with JSON that is not a model list (no "data" array). Check the base URL.` };
  const models = data.flatMap((m) => modelInfo(m));
  return { ok: true, models: req.kind === 'openai' ? await withOllamaDetails(models, { baseUrl: base, headers, fetch, signal }) : models };
}

function modelInfo(raw: unknown): ProviderModelInfo[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const m = raw as Record<string, unknown>;
  if (typeof m.id !== 'string' || m.id === '') return [];
  const info: ProviderModelInfo = { id: m.id };
  const window = positiveInt(m.context_length) ?? positiveInt(m.max_model_len) ?? positiveInt(m.max_context_length) ?? positiveInt(m.context_window);
  if (window) info.contextWindow = window;
  const top = m.top_provider as { max_completion_tokens?: unknown } | undefined;
  const maxOut = positiveInt(top?.max_completion_tokens) ?? positiveInt(m.max_output_tokens);
  if (maxOut) info.maxOutputTokens = maxOut;
  const tools = toolSupport(m);
  if (tools !== undefined) info.tools = tools;
  const prices = perMillion(m.pricing);
  if (prices) info.prices = prices;
  return [info];
}

/** From a list of what the model supports (OpenRouter's supported_parameters, a capabilities list), when one is given. */
function toolSupport(m: Record<string, unknown>): boolean | undefined {
  for (const field of ['supported_parameters', 'capabilities']) {
    const list = m[field];
    if (Array.isArray(list)) return list.some((x) => x === 'tools' || x === 'tool_use' || x === 'function_calling');
  }
  return undefined;
}

/** OpenRouter's pricing: USD per token as decimal strings. */
function perMillion(pricing: unknown): ProviderModelInfo['prices'] {
  if (typeof pricing !== 'object' || pricing === null) return undefined;
  const p = pricing as Record<string, unknown>;
  const input = usdPerToken(p.prompt);
  const output = usdPerToken(p.completion);
  if (input === undefined || output === undefined) return undefined;
  const cacheRead = usdPerToken(p.input_cache_read);
  return { input: input * 1e6, output: output * 1e6, ...(cacheRead === undefined ? {} : { cacheRead: cacheRead * 1e6 }) };
}

function usdPerToken(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    const e = body.error;
    if (typeof e === 'string') return e;
    if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message;
    if (typeof body.message === 'string') return body.message;
  } catch {
    // not JSON: the text itself, cut short
  }
  return text.trim().slice(0, 200) || 'no message';
}
