// A real HTTP server on 127.0.0.1 that speaks the Anthropic Messages API from a script, standing in for
// the model in tests, benchmarks and `hangar demo`. The official SDK talks to it unchanged via baseURL.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { headersOf, listen, readBody, ReplySource, scriptedHandle } from './http';
import {
  MessagesRequestSchema,
  type MessagesRequest,
  type RecordedRequest,
  type RejectedRequest,
  type Reply,
  type Responder,
} from './script';
import { DEFAULT_CATALOG, type ModelCatalog } from '../../wire/models';
import { newId, resolveBlocks } from './render';
import { sendError, sendFault, sendMessage, type Exchange } from './respond';
import { DEFAULT_SIGNING_SECRET, Signer } from './signing';
import { PromptCache, usageFor } from './usage';
import { thinkingOn, validateRequest } from './validate';

export interface ScriptedModelOptions {
  /** Fixed replies consumed in order, or a responder computing each reply from the request. */
  script?: readonly Reply[] | Responder;
  /** 0 (default) picks a free port. */
  port?: number;
  /** delay_ms for replies that do not set their own. */
  defaultDelayMs?: number;
  /** Bodies above this get a 413 request_too_large, like the API's 32 MB limit (the default). */
  maxBodyBytes?: number;
  /**
   * true (the default): refuse with the API's 400 every request the real API refuses (thinking blocks missing or
   * modified, unanswered tool_use, tool_result after other content, more than 4 cache breakpoints, bad tool names or
   * schemas, max_tokens above the model's limit, thinking/effort the model does not take, …). A test that needs a
   * lax model must say so with false; the request shape (model, max_tokens, messages) is always checked.
   */
  strict?: boolean;
  /**
   * What each model accepts (output limit, thinking mode, effort values); defaults to Hangar's catalogue. A test
   * makes a model refuse thinking or an effort value with `new ModelCatalog({ 'my-model': { ...spec, thinking: 'none' } })`.
   */
  catalog?: ModelCatalog;
  /** Secret that signs thinking blocks; every server shares the default, as every API server does. */
  signingSecret?: string;
}

export interface ScriptedModel {
  /** Base URL for the SDK's `baseURL`, e.g. `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** Every valid Messages request, in arrival order, with the reply it got. */
  readonly requests: RecordedRequest[];
  /** Requests answered with 400/404/413 before reaching the script, with the API's message. */
  readonly rejected: RejectedRequest[];
  /** Queues replies; queued replies are served before the responder is asked. */
  push(...replies: Reply[]): void;
  /** Replies queued and not yet served. */
  readonly remaining: number;
  /** Stops the server and destroys every open socket, hanging ones included. */
  close(): Promise<void>;
}

export const MAX_BODY_BYTES = 32 * 1024 * 1024;

type Parsed = { ok: true; body: MessagesRequest } | { ok: false; message: string };

function parseRequest(text: string): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `There was an issue with the JSON body: ${(e as Error).message}` };
  }
  const parsed = MessagesRequestSchema.safeParse(json);
  if (parsed.success) return { ok: true, body: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return { ok: false, message: `${where}${issue?.message ?? 'invalid request'}` };
}

export async function startScriptedModel(opts: ScriptedModelOptions = {}): Promise<ScriptedModel> {
  const replies = new ReplySource(opts.script);
  const requests: RecordedRequest[] = [];
  const rejected: RejectedRequest[] = [];
  const cache = new PromptCache();
  const maxBody = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  const strict = opts.strict ?? true;
  const catalog = opts.catalog ?? DEFAULT_CATALOG;
  const signer = new Signer(opts.signingSecret ?? DEFAULT_SIGNING_SECRET);

  async function handle(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const at = performance.now();
    const requestId = newId('req');
    const reject = (status: 400 | 404 | 413, message: string, body?: MessagesRequest): void => {
      rejected.push({ at, status, message, body });
      sendError(res, requestId, status, message);
    };
    const path = (req.url ?? '/').split('?')[0];
    const body = await readBody(req, maxBody);
    if (req.method !== 'POST' || path !== '/v1/messages') return reject(404, `Not found: ${req.method} ${path}`);
    if (!body.ok) return reject(413, `Request exceeds the maximum allowed number of bytes (${maxBody})`);
    const parsed = parseRequest(body.text);
    if (!parsed.ok) return reject(400, parsed.message);
    const model = catalog.lookup(parsed.body.model);
    if (strict) {
      const broken = validateRequest(parsed.body, model, signer);
      if (broken) return reject(400, broken, parsed.body);
    }

    const rec: RecordedRequest = { seq: requests.length, at, headers: headersOf(req), body: parsed.body, exhausted: false };
    requests.push(rec);
    const reply = await replies.answer(rec, signal, opts.defaultDelayMs ?? 0, (message) => sendError(res, requestId, 500, message));
    if (!reply) return;
    const ex: Exchange = { res, signal, requestId, stream: parsed.body.stream === true, model: parsed.body.model };
    if (reply.kind === 'fault') return sendFault(ex, reply);
    // A model searches only with the search tool the request offers: a script that plays one anyway is a broken test.
    const offersSearch = (parsed.body.tools ?? []).some((t) => t.type === 'web_search_20250305');
    if (!offersSearch && reply.blocks.some((b) => b.type === 'web_search')) return sendError(res, requestId, 500, 'scripted model: the script plays a server-side web search, but the request does not offer the web_search_20250305 tool');
    const thinking = parsed.body.thinking;
    const blocks = resolveBlocks(reply.blocks, {
      thinking: thinkingOn(parsed.body, model),
      omitThinking: (thinking?.type === 'enabled' || thinking?.type === 'adaptive') && thinking.display === 'omitted',
      signer,
    });
    await sendMessage(ex, reply, blocks, usageFor(cache, parsed.body, blocks, reply.usage));
  }

  const server = await listen(opts.port ?? 0, handle, (res, message) => sendError(res, newId('req'), 500, message));

  return scriptedHandle(server, server.url, replies, requests, rejected);
}
