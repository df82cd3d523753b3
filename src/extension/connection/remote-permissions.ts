import type Anthropic from '@anthropic-ai/sdk';
import { SessionAllowances, type AllowanceParams, type ToolRefParams } from '../../wire/allowances';
import { parseWire, type RemoteCall } from './remote-call';
import type { RuntimePermissions } from './runtime-permissions';

// "Allow for this session" over a detached runtime: Hangar's /allowances endpoints (src/api/allowances.ts), outside
// the SDK's types, through its raw get/post. The runtime drives the session, so it confirms the waiting calls.

export class RemotePermissions implements RuntimePermissions {
  constructor(
    private readonly sdk: Anthropic,
    private readonly call: RemoteCall,
  ) {}

  async all(sessionId: string): Promise<SessionAllowances> {
    return parseWire(SessionAllowances, await this.call(() => this.sdk.get(allowancesPath(sessionId))), "a session's allowances");
  }

  async allow(sessionId: string, tool: ToolRefParams, thread?: string): Promise<void> {
    await this.change(allowancesPath(sessionId), { tool, ...(thread ? { session_thread_id: thread } : {}) });
  }

  async revoke(sessionId: string, tool: ToolRefParams, thread?: string): Promise<void> {
    await this.change(`${allowancesPath(sessionId)}/revoke`, { tool, ...(thread ? { session_thread_id: thread } : {}) });
  }

  private async change(path: string, body: AllowanceParams): Promise<void> {
    parseWire(SessionAllowances, await this.call(() => this.sdk.post(path, { body })), "a session's allowances");
  }
}

function allowancesPath(sessionId: string): string {
  return `/v1/sessions/${encodeURIComponent(sessionId)}/allowances`;
}
