import type { ModelErrorDetail, ModelUsage, SessionErrorObject, ToolResultBlock, UserContentBlock } from '../../src/wire';

// What the panel shows: events folded into display items. Items are keyed by the id of the event that created
// them, so a later event (a tool result, a span end, the final message after a preview) updates the same item.

/** The lane (tab) an item belongs to; PRIMARY is the session's own thread. */
export const PRIMARY = '';

export interface StepCheckpoint {
  id: string;
  event: string;
}

interface Base {
  key: string;
  lane: string;
  at: string | null;
  /**
   * The checkpoint taken at the end of this step (a tool call that changed files, a turn's end): the panel offers to
   * rewind the session to it (`id`), or to fork a new session from it (`event`, the checkpoint's event in the log).
   */
  checkpoint?: StepCheckpoint;
}

export interface UserItem extends Base {
  kind: 'user';
  text: string;
  attachments: number;
}
export interface AgentItem extends Base {
  kind: 'agent';
  text: string;
  /** True while only the event_start/event_delta preview is known. */
  live: boolean;
  redacted: boolean;
}
export interface ThinkingItem extends Base {
  kind: 'thinking';
  text: string;
  live: boolean;
}
export interface ToolResult {
  text: string;
  isError: boolean;
  attachments: number;
}
export interface ToolItem extends Base {
  kind: 'tool';
  toolKind: 'builtin' | 'mcp' | 'custom';
  name: string;
  server: string | null;
  input: Record<string, unknown>;
  permission: 'allow' | 'ask' | 'deny' | null;
  confirmation: { result: 'allow' | 'deny'; denyMessage: string | null } | null;
  result: ToolResult | null;
  /** The live end of a running call's output (a stream-only preview); the result replaces it. */
  live: { tail: string; bytes: number; binary: boolean } | null;
}
/**
 * One error episode: a failed model request and its retries are one card (the latest error, how many attempts
 * failed, when the next one starts), not a card per attempt.
 */
export interface ErrorItem extends Base {
  kind: 'error';
  error: SessionErrorObject;
  /** How the model request failed (absent for errors that are not a model request's). */
  detail: ModelErrorDetail | null;
  /** Failed attempts in this episode. */
  attempts: number;
  /** When the next attempt starts (ms since the epoch), while the harness waits to retry. */
  retryAt: number | null;
  /** A later attempt succeeded. */
  recovered: boolean;
  /** The episode is over: recovered, given up, or the turn ended while it waited to retry. */
  ended: boolean;
}
export interface SpanItem extends Base {
  kind: 'span';
  endAt: string | null;
  usage: ModelUsage | null;
  isError: boolean;
  costCents: number;
}
export interface ThreadMessageItem extends Base {
  kind: 'thread_message';
  direction: 'sent' | 'received';
  peer: string;
  text: string;
}
export interface NoteItem extends Base {
  kind: 'note';
  text: string;
  tone: 'info' | 'warn';
  /** Longer text under the line, wrapped (an outcome evaluation's explanation). */
  detail?: string;
  /** On the note that ends a turn: the turn's model requests, whose cost and time it shows quietly. */
  spans?: SpanItem[];
}

export type Item = UserItem | AgentItem | ThinkingItem | ToolItem | ErrorItem | SpanItem | ThreadMessageItem | NoteItem;
export type ItemKind = Item['kind'];
export type ItemOf<K extends ItemKind> = Extract<Item, { kind: K }>;

export function textOf(blocks: readonly (UserContentBlock | ToolResultBlock | { type: 'redacted' })[] | null | undefined): { text: string; attachments: number } {
  const texts: string[] = [];
  let attachments = 0;
  for (const b of blocks ?? []) {
    if (b.type === 'text') texts.push(b.text);
    else if (b.type === 'search_result') texts.push(`${b.title} (${b.source})\n${b.content.map((c) => c.text).join('\n')}`);
    else if (b.type === 'document' && b.source.type === 'text') texts.push(b.source.data);
    else if (b.type !== 'redacted') attachments += 1;
  }
  return { text: texts.join('\n\n'), attachments };
}
