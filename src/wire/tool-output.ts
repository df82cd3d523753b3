import * as z from 'zod';
import { lazySchema } from './lazy';

// The live output of a running tool call (issue #12 §4). Like text deltas it is a preview: it goes to live
// subscribers only and is never persisted; the agent.tool_result that follows carries the whole output.

/** The end of a running command's output so far, as the tools produce it (throttled, bounded; not yet scrubbed). */
export const ToolOutputSnapshot = lazySchema(() => z.object({
  /** The last few KiB of the output as text (ANSI codes stripped); empty when `binary`. */
  text: z.string(),
  /** Bytes the command printed so far. */
  bytes: z.number().int().nonnegative(),
  /** True when older output was dropped, so `text` starts somewhere inside the output. */
  cut: z.boolean(),
  /** The output's end is not text (NUL bytes or invalid UTF-8): it is not shown. */
  binary: z.boolean(),
}));
export type ToolOutputSnapshot = z.infer<typeof ToolOutputSnapshot>;

/**
 * Hangar's own stream preview (never on the API's wire: the reference allows only agent.message and agent.thinking
 * previews): the last lines of a running tool call's output, scrubbed like its result. Each replaces the previous
 * one for the same call; the call's result replaces the last.
 */
export const ToolOutputPreview = lazySchema(() => z.object({
  type: z.literal('tool_output'),
  tool_use_id: z.string(),
  /** The last lines of the output, each capped, secrets redacted. */
  tail: z.string(),
  bytes: z.number().int().nonnegative(),
  binary: z.boolean(),
}));
export type ToolOutputPreview = z.infer<typeof ToolOutputPreview>;
