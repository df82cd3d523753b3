// Ollama's own endpoints beside the scripted Chat Completions ones, for a server standing in for Ollama: GET
// /api/version and POST /api/show with a model's metadata in Ollama's shape (capabilities, the Modelfile parameters,
// the model_info keys named by its architecture), so Hangar's reading of them is tested over real HTTP.
import type { ServerResponse } from 'node:http';

/** What Ollama would say about one model it has pulled. */
export interface OllamaModel {
  /** Ollama's capability names: completion, tools, thinking, vision, insert, embedding. */
  capabilities: readonly string[];
  /** The window the model was trained for (`<architecture>.context_length`). */
  contextLength: number;
  /** `num_ctx` in its Modelfile, when one sets it: the window the server runs it with. */
  numCtx?: number;
  /** Default: qwen3. */
  architecture?: string;
}

const VERSION = '0.12.6';

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/** Answers the request when it is one of Ollama's own; false for any other path. */
export function answerOllama(method: string, path: string, body: string, models: Readonly<Record<string, OllamaModel>>, res: ServerResponse): boolean {
  if (method === 'GET' && path === '/api/version') {
    send(res, 200, { version: VERSION });
    return true;
  }
  if (method !== 'POST' || path !== '/api/show') return false;
  let name: unknown;
  try {
    name = (JSON.parse(body) as { model?: unknown }).model;
  } catch {
    send(res, 400, { error: 'invalid JSON' });
    return true;
  }
  const model = typeof name === 'string' ? (models[name] ?? models[name.replace(/:latest$/, '')]) : undefined;
  if (!model) {
    send(res, 404, { error: `model '${String(name)}' not found` });
    return true;
  }
  const arch = model.architecture ?? 'qwen3';
  send(res, 200, {
    modelfile: `FROM ${String(name)}\n`,
    parameters: [...(model.numCtx ? [`num_ctx                        ${model.numCtx}`] : []), 'temperature                    0.6'].join('\n'),
    template: '{{ .Prompt }}',
    details: { parent_model: '', format: 'gguf', family: arch, families: [arch], parameter_size: '8.2B', quantization_level: 'Q4_K_M' },
    model_info: { 'general.architecture': arch, 'general.parameter_count': 8_190_735_360, [`${arch}.context_length`]: model.contextLength, [`${arch}.embedding_length`]: 4096 },
    capabilities: model.capabilities,
    modified_at: '2026-12-01T10:00:00.000000000Z',
  });
  return true;
}
