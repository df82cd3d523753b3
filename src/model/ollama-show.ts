import type { ProviderModelInfo } from '../wire';

// Ollama's own API beside its OpenAI-compatible one: its /v1/models says nothing but the ids, while POST /api/show
// tells each model's context window (the num_ctx it runs with when its Modelfile sets one, else the window the model
// was trained for) and its capabilities (tools, thinking, vision). A server whose root has no /api/version is not
// Ollama, and its list stays as it was.

export interface OllamaRequest {
  /** The OpenAI-compatible base URL (`http://127.0.0.1:11434/v1`). */
  baseUrl: string;
  headers: Record<string, string>;
  fetch: typeof globalThis.fetch;
  signal: AbortSignal;
}

/** The models with what Ollama's /api/show says filled in; unchanged when the server is not Ollama or does not say. */
export async function withOllamaDetails(models: ProviderModelInfo[], req: OllamaRequest): Promise<ProviderModelInfo[]> {
  const root = req.baseUrl.replace(/\/v1\/*$/, '');
  if (root === req.baseUrl || models.length === 0 || !(await isOllama(root, req))) return models;
  return Promise.all(models.map(async (m) => ({ ...(await show(root, m.id, req)), ...definedFields(m) })));
}

async function isOllama(root: string, req: OllamaRequest): Promise<boolean> {
  const body = await json(req.fetch(`${root}/api/version`, { headers: req.headers, signal: req.signal }));
  return typeof (body as { version?: unknown } | undefined)?.version === 'string';
}

async function show(root: string, model: string, req: OllamaRequest): Promise<Omit<ProviderModelInfo, 'id'>> {
  const body = await json(req.fetch(`${root}/api/show`, { method: 'POST', headers: { ...req.headers, 'content-type': 'application/json' }, body: JSON.stringify({ model }), signal: req.signal }));
  if (typeof body !== 'object' || body === null) return {};
  const b = body as { capabilities?: unknown; parameters?: unknown; model_info?: unknown };
  const out: Omit<ProviderModelInfo, 'id'> = {};
  const window = numCtx(b.parameters) ?? trainedWindow(b.model_info);
  if (window) out.contextWindow = window;
  if (Array.isArray(b.capabilities)) {
    out.tools = b.capabilities.includes('tools');
    out.thinking = b.capabilities.includes('thinking');
    out.vision = b.capabilities.includes('vision');
  }
  return out;
}

/** `num_ctx 8192` among the Modelfile parameters: the window the server runs the model with. */
function numCtx(parameters: unknown): number | undefined {
  const match = typeof parameters === 'string' ? /^num_ctx\s+(\d+)\s*$/m.exec(parameters) : null;
  return positive(Number(match?.[1]));
}

/** `<architecture>.context_length` in the model's metadata (`qwen3.context_length`). */
function trainedWindow(info: unknown): number | undefined {
  if (typeof info !== 'object' || info === null) return undefined;
  const i = info as Record<string, unknown>;
  const arch = i['general.architecture'];
  return typeof arch === 'string' ? positive(i[`${arch}.context_length`]) : undefined;
}

function positive(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

/** What the list itself said wins over /api/show. */
function definedFields(m: ProviderModelInfo): ProviderModelInfo {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as ProviderModelInfo;
}

/** The JSON body of a 2xx answer; undefined for anything else (not reached, an error status, not JSON). */
async function json(res: Promise<Response>): Promise<unknown> {
  try {
    const r = await res;
    return r.ok ? await r.json() : undefined;
  } catch {
    return undefined;
  }
}
