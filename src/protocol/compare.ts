import * as z from 'zod';
import { CompareRow } from '../wire/best-of';
import { parseWith, type ParseResult } from './parse';

// The compare view's messages (best-of-N, issue #13 §4): the host shows the attempts of one task side by side, the
// webview asks to accept one whole, to review one hunk by hunk, or to open one. Validated on both sides like the
// session panel's (src/protocol/panel.ts); imported by the extension host and the webview bundle, so no `vscode` or
// Node imports. The attempt's figures are the wire's `CompareRow` (wire/best-of.ts: the CLI's table reads the same rows).

/** How far the user's review of an attempt got, in hunks. */
export const CompareReview = z.object({
  pending: z.number().int().nonnegative(),
  accepted: z.number().int().nonnegative(),
  rejected: z.number().int().nonnegative(),
});
export type CompareReview = z.infer<typeof CompareReview>;

/** An attempt as the view shows it: the runtime's compare row (the CLI's table reads the same) and the review's progress. */
export const CompareAttempt = CompareRow.extend({ review: CompareReview });
export type CompareAttempt = z.infer<typeof CompareAttempt>;

// ---- host → webview ----
/** The attempts as they are now; sent after `ready` and whenever one of them moves (events, review decisions). */
export const AttemptsMessage = z.object({ type: z.literal('attempts'), task: z.string(), attempts: z.array(CompareAttempt).min(1).max(4) });
export const CompareHostMessage = z.discriminatedUnion('type', [AttemptsMessage]);
export type CompareHostMessage = z.infer<typeof CompareHostMessage>;

// ---- webview → host ----
const SessionId = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/);
export const CompareReady = z.object({ type: z.literal('ready') });
/** Apply every pending hunk of the attempt to the workspace (the review's Apply All: 3-way merge, conflicts reported). */
export const CompareAccept = z.object({ type: z.literal('accept'), sessionId: SessionId });
/** Open the attempt's review, to accept some of its hunks (alone or together with another attempt's). */
export const CompareReviewRequest = z.object({ type: z.literal('review'), sessionId: SessionId });
/** Open the attempt's session panel (its conversation). */
export const CompareOpen = z.object({ type: z.literal('open'), sessionId: SessionId });
export const CompareWebviewMessage = z.discriminatedUnion('type', [CompareReady, CompareAccept, CompareReviewRequest, CompareOpen]);
export type CompareWebviewMessage = z.infer<typeof CompareWebviewMessage>;
export type CompareRequest = CompareWebviewMessage['type'];

// ---- the page's saved state ----
/**
 * What the page keeps in its webview state (`setState`): after a window reload VS Code hands it to the host's
 * serializer, which reopens the view on the same attempts.
 */
export const CompareSavedState = z.object({ task: z.string(), sessionIds: z.array(SessionId).min(1).max(4) });
export type CompareSavedState = z.infer<typeof CompareSavedState>;

export function parseCompareSavedState(raw: unknown): ParseResult<CompareSavedState> {
  return parseWith(CompareSavedState, 'compare view saved state', raw);
}

export function parseCompareHostMessage(raw: unknown): ParseResult<CompareHostMessage> {
  return parseWith(CompareHostMessage, 'host→compare view', raw);
}

export function parseCompareWebviewMessage(raw: unknown): ParseResult<CompareWebviewMessage> {
  return parseWith(CompareWebviewMessage, 'compare view→host', raw);
}
