// A real HTTP server on 127.0.0.1 that speaks the OpenAI-compatible Chat Completions API (`POST
// /v1/chat/completions`, `GET /v1/models`) from the same scripts as the Messages server (src/model/scripted/server.ts),
// so a harness test runs against either provider. It stands in for Ollama, vLLM, LM Studio or OpenAI in tests and
// benchmarks; the official openai client talks to it unchanged via baseURL.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { headersOf, listen, readBody, ReplySource, scriptedHandle } from './http';
import { asMessagesRequest, ChatRequestSchema, checkChatRequest, shapeError, type ChatRequest } from './openai-request';
import { chatBlocks, chatUsage, sendChatError, sendChatFault, sendChatMessage, type ChatExchange } from './openai-render';
import { answerOllama, type OllamaModel } from './ollama-api';
import { emittedBlocks } from './render';
import type { RecordedRequest, RejectedRequest, Reply, Responder } from './script';
import { MAX_BODY_BYTES } from './server';
import { tokensOf } from './usage';

export interface ScriptedOpenAiModelOptions {
  /** Fixed replies consumed in order, or a responder computing each reply from the request. */
  script?: readonly Reply[] | Responder;
  /** 0 (default) picks a free port. */
  port?: number;
  /** delay_ms for replies that do not set their own. */
  defaultDelayMs?: number;
  maxBodyBytes?: number;
  /**
   * The models it serves (`GET /v1/models`); a request for another gets OpenAI's 404 model_not_found. Default: any
   * model is served and the list names `scripted-chat`.
   */
  models?: readonly string[];
  /** true (the default): refuse what a real server refuses (see openai-request.ts#checkChatRequest). */
  strict?: boolean;
  /** A key the server wants as `Authorization: Bearer <key>`, answering 401 without it; none (default): no key checked. */
  apiKey?: string;
  /**
   * A reasoning model (Qwen3, DeepSeek R1, gpt-oss as local servers run them): every reply starts with
   * `reasoning_content` (the script's thinking, or a planned thought). Default false: thinking in a script is left out.
   */
  reasoning?: boolean;
  /**
   * false: refuse reasoning_effort, as OpenAI does for a model that does not reason. Default true: take it, as vLLM
   * and Ollama's compatible API do whatever the model (the value is checked either way).
   */
  takesEffort?: boolean;
  /** The server is Ollama: /api/version and /api/show answer, with these models' metadata (by name). */
  ollama?: Readonly<Record<string, OllamaModel>>;
}

/** A request as the Chat Completions server got it (`chat`), with the same request as a Messages body (`body`). */
export interface RecordedChatRequest extends RecordedRequest {
  chat: ChatRequest;
}

export interface ScriptedOpenAiModel {
  /** The API root for the client's baseURL, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedChatRequest[];
  readonly rejected: RejectedRequest[];
  push(...replies: Reply[]): void;
  readonly remaining: number;
  close(): Promise<void>;
}

const DEFAULT_LISTED_MODEL = 'scripted-chat';

type Parsed = { ok: true; body: ChatRequest } | { ok: false; message: string };

function parse(text: string): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `We could not parse the JSON body of your request. (${(e as Error).message})` };
  }
  const parsed = ChatRequestSchema.safeParse(json);
  return parsed.success ? { ok: true, body: parsed.data } : { ok: false, message: shapeError(parsed.error) };
}

/** OpenAI caches a prompt prefix of 1024 tokens or more, in steps of 128: the prefix this request shares with the last. */
class PrefixCache {
  private last = '';
  cachedTokens(prompt: string): number {
    let shared = 0;
    while (shared < prompt.length && shared < this.last.length && prompt[shared] === this.last[shared]) shared++;
    this.last = prompt;
    const tokens = tokensOf(shared);
    return tokens < 1024 ? 0 : tokens - (tokens % 128);
  }
}

export async function startScriptedOpenAiModel(opts: ScriptedOpenAiModelOptions = {}): Promise<ScriptedOpenAiModel> {
  const replies = new ReplySource(opts.script);
  const requests: RecordedChatRequest[] = [];
  const rejected: RejectedRequest[] = [];
  const cache = new PrefixCache();
  const maxBody = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  const strict = opts.strict ?? true;

  function listModels(res: ServerResponse): void {
    const data = (opts.models ?? [DEFAULT_LISTED_MODEL]).map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'scripted' }));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data }));
  }

  async function handle(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const at = performance.now();
    const reject = (status: 400 | 404 | 413, message: string, code: string | null = null): void => {
      rejected.push({ at, status, message });
      sendChatError(res, status, message, code);
    };
    const path = (req.url ?? '/').split('?')[0];
    const body = await readBody(req, maxBody);
    if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      rejected.push({ at, status: 401, message: 'Incorrect API key provided.' });
      return sendChatError(res, 401, 'Incorrect API key provided.', 'invalid_api_key');
    }
    if (req.method === 'GET' && path === '/v1/models') return listModels(res);
    if (opts.ollama && body.ok && answerOllama(req.method ?? '', path ?? '', body.text, opts.ollama, res)) return;
    if (req.method !== 'POST' || path !== '/v1/chat/completions') return reject(404, `Invalid URL (${req.method} ${path})`);
    if (!body.ok) return reject(413, `Request body too large: more than ${maxBody} bytes`);
    const parsed = parse(body.text);
    if (!parsed.ok) return reject(400, parsed.message);
    const chat = parsed.body;
    if (opts.models && !opts.models.includes(chat.model)) return reject(404, `The model \`${chat.model}\` does not exist or you do not have access to it.`, 'model_not_found');
    if (strict) {
      const broken = checkChatRequest(chat, opts.takesEffort ?? true);
      if (broken) return reject(400, broken);
    }

    const rec: RecordedChatRequest = { seq: requests.length, at, headers: headersOf(req), body: asMessagesRequest(chat), chat, exhausted: false };
    requests.push(rec);
    const reply = await replies.answer(rec, signal, opts.defaultDelayMs ?? 0, (message) => sendChatError(res, 500, message));
    if (!reply) return;
    const ex: ChatExchange = { res, signal, stream: chat.stream === true, includeUsage: chat.stream_options?.include_usage === true, model: chat.model };
    if (reply.kind === 'fault') return sendChatFault(ex, reply);
    if (reply.blocks.some((b) => b.type === 'web_search')) return sendChatError(res, 500, 'scripted model: the script plays a server-side web search, which Chat Completions has no form for');
    const blocks = chatBlocks(emittedBlocks(reply.blocks, opts.reasoning ?? false));
    const prompt = JSON.stringify([chat.tools ?? [], chat.messages]);
    await sendChatMessage(ex, reply, blocks, chatUsage(prompt.length, cache.cachedTokens(prompt), blocks, reply.usage));
  }

  const server = await listen(opts.port ?? 0, handle, (res, message) => sendChatError(res, 500, message));
  return scriptedHandle(server, `${server.url}/v1`, replies, requests, rejected);
}
