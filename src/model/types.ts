import type Anthropic from '@anthropic-ai/sdk';

// The harness talks to models through this interface only, so a scripted server, the Anthropic API or another
// provider can stand behind it.
export type ModelRequest = Anthropic.MessageCreateParamsNonStreaming;
export type ModelStreamEvent = Anthropic.RawMessageStreamEvent;

export interface ModelClient {
  /** The provider runs web searches itself (Anthropic's `web_search` server tool), so web_search can be its. */
  readonly serverWebSearch?: boolean;
  /** Streams one Messages API reply. Throws ModelError subclasses; aborting the signal ends the stream. */
  stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent>;
}

import type { ModelErrorKind } from '../wire';
export type { ModelErrorKind } from '../wire';

/** A model failure classified for the retry policy (src/harness/retry.ts). */
export class ModelError extends Error {
  constructor(
    readonly kind: ModelErrorKind,
    message: string,
    readonly retryAfterMs?: number,
    readonly status?: number,
    /** The model API's address, when it could not be reached. */
    readonly url?: string,
  ) {
    super(message);
    this.name = 'ModelError';
  }

  get retryable(): boolean {
    return this.kind !== 'auth' && this.kind !== 'invalid_request';
  }
}

/**
 * The signature of a thinking block made from an OpenAI-compatible server's reasoning (`reasoning_content` or
 * `reasoning` deltas), which comes unsigned: the harness keeps thinking only with a signature, and the Anthropic client
 * leaves blocks with this one out (the API would refuse them as forged).
 */
export const UNSIGNED_REASONING = 'hangar:unsigned-reasoning';

/** The model new agents get when none is named (a current Sonnet; not on the SDK's deprecation list). */
export const DEFAULT_MODEL = 'claude-sonnet-5-5';

/**
 * How a thread of a multi-agent session names its agent in its system prompt. The scripted model routes each request
 * by it (`byAgent`), so a test scripts a coordinator and each sub-agent on its own, in any interleaving.
 */
export const agentMarker = (name: string): string => `You are the agent "${name}"`;
export const AGENT_MARKER_PATTERN = /You are the agent "([^"]+)"/;

/**
 * How an outcome grader's request names itself in its system prompt (src/harness/grader.ts). The scripted model routes
 * grader requests by it (`withGrader`), so a test scripts the agent and its grader apart.
 */
export const GRADER_MARKER = 'You are the outcome grader of a Hangar session';
