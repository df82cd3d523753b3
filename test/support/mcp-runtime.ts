import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Reply, Responder } from '../../src/model/scripted';
import type { McpManager, McpOptions } from '../../src/mcp';
import { vaultMcpFactory } from '../../src/runtime/mcp';
import { MemoryVault } from '../../src/vault/memory';
import type { McpServer, PermissionPolicy, SessionEvent, ToolParams } from '../../src/wire';
import { makeTestRuntime, type TestRuntime } from './runtime';

// A test runtime whose MCP factory is the production one (credentials from vault records), with short timeouts and
// a handle on each session's McpManager (to read a stdio server's pid or its status).

export interface StartOptions {
  vaultIds?: string[];
  /** default_config.permission_policy of every mcp_toolset (absent = the reference default, always_ask). */
  policy?: PermissionPolicy;
  /** Per-tool configs of every mcp_toolset. */
  configs?: { name: string; enabled?: boolean; permission_policy?: PermissionPolicy }[];
  extraTools?: ToolParams[];
}

export interface McpTestRuntime extends TestRuntime {
  vault: MemoryVault;
  managers: McpManager[];
  /** A vault holding one static_bearer credential for `url`; returns its id. */
  vaultWith(url: string, token: string): Promise<string>;
  /** Starts a session of an agent with these servers (one mcp_toolset each) and sends `text`. */
  startWith(text: string, servers: McpServer[], opts?: StartOptions): Promise<string>;
  waitIdle(sessionId: string, count?: number): Promise<SessionEvent[]>;
  /** Waits for idle and for a server's retries to end (they go on in the background after the turn). */
  waitIdleAndGaveUp(sessionId: string): Promise<SessionEvent[]>;
}

export async function makeMcpRuntime(script: Reply[] | Responder, mcp: Omit<McpOptions, 'credentialFor'> = {}): Promise<McpTestRuntime> {
  const storage = mkdtempSync(path.join(os.tmpdir(), 'hangar-mcp-'));
  const vault = new MemoryVault();
  const managers: McpManager[] = [];
  const factory = vaultMcpFactory(storage, vault, { connectTimeoutMs: 20_000, retryBaseMs: 20, ...mcp });
  const t = await makeTestRuntime({
    script,
    storage,
    runtime: {
      vault,
      mcp: async (record, emit) => {
        const m = await factory(record, emit);
        if (m) managers.push(m);
        return m;
      },
    },
  });
  const base = t.close.bind(t);
  return Object.assign(t, {
    vault,
    managers,
    close: async () => {
      await base();
      rmSync(storage, { recursive: true, force: true });
    },
    async vaultWith(url: string, token: string) {
      const v = await t.runtime.vaults.create({ display_name: 'mcp test' });
      await t.runtime.vaults.createCredential(v.id, { auth: { type: 'static_bearer', mcp_server_url: url, token } });
      return v.id;
    },
    async startWith(text: string, servers: McpServer[], opts: StartOptions = {}) {
      const tools: ToolParams[] = [
        { type: 'agent_toolset_20260401' },
        ...servers.map((s) => ({
          type: 'mcp_toolset' as const,
          mcp_server_name: s.name,
          ...(opts.policy ? { default_config: { permission_policy: opts.policy } } : {}),
          ...(opts.configs ? { configs: opts.configs } : {}),
        })),
        ...(opts.extraTools ?? []),
      ];
      const agent = await t.agent({ mcp_servers: servers, tools });
      const s = await t.runtime.sessions.create({ agent, environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }], vault_ids: opts.vaultIds ?? [] });
      await t.runtime.sessions.send(s.id, [{ type: 'user.message', content: [{ type: 'text', text }] }]);
      return s.id;
    },
    waitIdle(sessionId: string, count = 1) {
      return t.waitFor(sessionId, (e) => e.filter((x) => x.type === 'session.status_idle').length >= count, 40_000);
    },
    waitIdleAndGaveUp(sessionId: string) {
      const gaveUp = (e: SessionEvent) => e.type === 'session.error' && e.error.retry_status.type === 'exhausted';
      return t.waitFor(sessionId, (e) => e.some((x) => x.type === 'session.status_idle') && e.some(gaveUp), 40_000);
    },
  });
}

/** Every tool_use / tool_result pair the model saw, as the text of the last request's messages. */
export function lastRequestText(t: TestRuntime): string {
  return JSON.stringify(t.model.requests.at(-1)?.body.messages ?? []);
}

export function toolNames(t: TestRuntime, request = -1): string[] {
  return (t.model.requests.at(request)?.body.tools ?? []).map((x) => x.name);
}
