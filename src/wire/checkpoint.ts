import * as z from 'zod';
import { lazySchema } from './lazy';

// Checkpoints and rewinds as Hangar's API serves them (issue #13): not in the hosted API, so outside the SDK's types,
// like `GET /v1/sessions/{id}/changes`. The log records them as hangar.checkpoint / hangar.rewind events (events.ts),
// which the session's event list and stream leave out unless a client asks (`hangar_include[]=checkpoints`,
// hangar-include.ts); these endpoints are how a client lists and uses them:
//   GET  /v1/sessions/{id}/checkpoints   every checkpoint of the session, oldest first
//   POST /v1/sessions/{id}/rewind        {checkpoint_id}: the files back to it, the conversation continues from it

export const CheckpointTrigger = lazySchema(() => z.enum(['tool_call', 'idle', 'before_rewind', 'rewound']));
export type CheckpointTrigger = z.infer<typeof CheckpointTrigger>;

export const Checkpoint = lazySchema(() => z.strictObject({
  type: z.literal('checkpoint'),
  id: z.string(),
  session_id: z.string(),
  /** When it was taken: the end of a tool call that changed files, an idle, just before a rewind, or just after one. */
  trigger: CheckpointTrigger,
  /** trigger tool_call: the agent.tool_use whose end it marks. */
  tool_use_id: z.string().nullable(),
  /** The hangar.checkpoint event: the conversation a rewind to it continues is the one up to this event. */
  event_id: z.string(),
  /** The git tree of the sandbox's files: two checkpoints with the same tree hold the same files. */
  tree: z.string(),
  created_at: z.string(),
}));
export type Checkpoint = z.infer<typeof Checkpoint>;

export const CheckpointList = lazySchema(() => z.strictObject({ data: z.array(Checkpoint) }));
export type CheckpointList = z.infer<typeof CheckpointList>;

export const RewindParams = lazySchema(() => z.strictObject({ checkpoint_id: z.string().min(1, 'checkpoint_id names the checkpoint to rewind to (GET /v1/sessions/{id}/checkpoints lists them)') }));
export type RewindParams = z.infer<typeof RewindParams>;

export const RewindResult = lazySchema(() => z.strictObject({
  type: z.literal('session_rewind'),
  /** The hangar.rewind event now in the log. */
  event_id: z.string(),
  /** The checkpoint the session is back at. */
  checkpoint: Checkpoint,
  /** The files just before the rewind, kept as a checkpoint: rewinding to it undoes the rewind. */
  before_checkpoint_id: z.string(),
}));
export type RewindResult = z.infer<typeof RewindResult>;
