import { RewindParams, type CheckpointList, type RewindResult } from '../wire/checkpoint';
import { route } from './router';

// Hangar's checkpoint endpoints (issue #13; shapes in wire/checkpoint.ts): not in the hosted API. A session's
// hangar.checkpoint and hangar.rewind events stay out of its event list and stream, which the SDK types strictly,
// unless the client asks for them (`hangar_include[]=checkpoints`, wire/hangar-include.ts).

export const checkpointRoutes = [
  route('GET', '/v1/sessions/:session_id/checkpoints', async (c): Promise<CheckpointList> => ({ data: await c.runtime.sessions.checkpoints(c.params.session_id!) })),
  route('POST', '/v1/sessions/:session_id/rewind', async (c): Promise<RewindResult> => {
    const { checkpoint_id } = await c.body(RewindParams);
    return c.runtime.sessions.rewind(c.params.session_id!, checkpoint_id);
  }),
];
