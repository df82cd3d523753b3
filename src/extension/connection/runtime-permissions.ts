import type { SessionPermissions } from '../../runtime/session-permissions';
import type { SessionAllowances, ToolRefParams } from '../../wire/allowances';

// "Allow for this session" behind the RuntimeClient seam: what the panel's prompt and list, the notification's link
// and Hangar: Revoke Allowance ask. In-process the runtime's SessionPermissions; over a detached runtime the same
// through Hangar's /allowances endpoints (remote-permissions.ts). `thread`: a sub-agent thread, whose roster agent the
// allowance is for (absent: the coordinator's).

export interface RuntimePermissions {
  /** The coordinator's allowances and each roster agent's. */
  all(sessionId: string): Promise<SessionAllowances>;
  /** Allows the tool for the rest of the session and runs the calls of it waiting now; a refusal throws its sentence. */
  allow(sessionId: string, tool: ToolRefParams, thread?: string): Promise<void>;
  /** Calls of the tool ask again; refused while the coordinator's turn runs. */
  revoke(sessionId: string, tool: ToolRefParams, thread?: string): Promise<void>;
}

export class LocalPermissions implements RuntimePermissions {
  constructor(private readonly permissions: SessionPermissions) {}

  all(sessionId: string): Promise<SessionAllowances> {
    return this.permissions.all(sessionId);
  }

  allow(sessionId: string, tool: ToolRefParams, thread?: string): Promise<void> {
    return this.permissions.allow(sessionId, tool, thread);
  }

  revoke(sessionId: string, tool: ToolRefParams, thread?: string): Promise<void> {
    return this.permissions.revoke(sessionId, tool, thread);
  }
}
