import * as z from 'zod';
import { lazySchema } from './lazy';
import { EventDelta, EventStart } from './events';
import { ToolOutputPreview } from './tool-output';

// What a client of Hangar's API opts into beyond the reference (issue #15): the official SDK types the event list and
// stream strictly, so what it does not know stays out unless asked for with `hangar_include[]=…` on
//   GET /v1/sessions/{id}/events          checkpoints
//   GET /v1/sessions/{id}/events/stream   checkpoints, tool_output (and on a thread's stream)
// `checkpoints`: the log's hangar.checkpoint and hangar.rewind events, in their place in the history (the panel marks
// the steps a rewind or a fork can start from with them). `tool_output`: a running tool call's live output, sent as
// `event: tool_output` frames (wire/tool-output.ts). An SDK client passes the parameter in its params object.

export const HANGAR_INCLUDE = 'hangar_include';

export const HangarInclude = lazySchema(() => z.enum(['checkpoints', 'tool_output'], { error: `${HANGAR_INCLUDE} values are checkpoints (hangar.checkpoint and hangar.rewind events) or tool_output (a running tool's output, on the stream only)` }));
export type HangarInclude = z.infer<typeof HangarInclude>;

/** A preview on the stream: text as it streams (event_start, event_delta) or a running tool's output (tool_output). */
export const StreamPreviewFrame = lazySchema(() => z.discriminatedUnion('type', [EventStart, EventDelta, ToolOutputPreview]));
