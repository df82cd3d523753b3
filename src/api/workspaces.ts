import { probeWorkspace } from '../runtime/workspace-probe';
import { WorkspaceProbeParams, type WorkspaceProbeResult } from '../wire/workspace';
import { route } from './router';

// Hangar's own: whether this runtime sees a client's workspace in place, or the client must upload it (issue #15 §2;
// src/wire/workspace.ts). Not in the hosted API.

export const workspaceRoutes = [
  route('POST', '/v1/workspaces/probe', async (c): Promise<WorkspaceProbeResult> => probeWorkspace(await c.body(WorkspaceProbeParams))),
];
