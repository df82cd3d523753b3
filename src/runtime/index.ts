import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ModelClient } from '../model/types';
import type { RetryPolicy } from '../harness/retry';
import type { McpTools } from '../harness/tools';
import type { SandboxProvider, ToolOutcome } from '../sandbox/types';
import type { Vault } from '../vault/types';
import type { NewEvent } from '../wire';
import { AgentStore } from './agents';
import { EnvironmentStore } from './environments';
import { SessionHost } from './session-host';
import type { SessionRecord } from './session-record';
import { SessionService } from './sessions';
import { SessionResources } from './session-resources';
import { VaultStore } from './vaults';

// The composition root: one Runtime wires log, harness, sandbox, vault and model for every surface (CLI, HTTP API,
// VS Code). Surfaces never reach past it.

export interface RuntimeOptions {
  /** Where agents, environments and session logs live (VS Code: workspace storage; CLI: a per-user data dir). */
  storageRoot: string;
  vault: Vault;
  sandbox: SandboxProvider;
  model: ModelClient;
  /** Names this process in leases, e.g. "cli" or "vscode". */
  owner?: string;
  retry?: RetryPolicy;
  maxTokens?: number;
  /** Model requests one turn may make before it is stopped (a runaway tool loop). */
  maxRequestsPerTurn?: number;
  mcp?: (record: SessionRecord, emit: (events: NewEvent[]) => Promise<void>) => Promise<McpTools | null>;
  redact?: (outcome: ToolOutcome) => ToolOutcome;
  onProgress?: (sessionId: string, message: string) => void;
}

export class Runtime {
  readonly agents: AgentStore;
  readonly environments: EnvironmentStore;
  readonly sessions: SessionService;
  readonly resources: SessionResources;
  readonly vaults: VaultStore;
  private readonly host: SessionHost;

  constructor(readonly options: RuntimeOptions) {
    const sessionsDir = path.join(options.storageRoot, 'sessions');
    mkdirSync(sessionsDir, { recursive: true });
    this.agents = new AgentStore(options.storageRoot);
    this.environments = new EnvironmentStore(options.storageRoot);
    this.host = new SessionHost({
      sessionsDir,
      owner: `${options.owner ?? 'hangar'}@${os.hostname()}:${process.pid}`,
      provider: options.sandbox,
      model: options.model,
      retry: options.retry,
      maxTokens: options.maxTokens,
      maxRequestsPerTurn: options.maxRequestsPerTurn,
      mcp: options.mcp,
      redact: options.redact,
      onProgress: options.onProgress,
      environmentNote: (record) => environmentNote(record, options.sandbox.kind),
    });
    this.sessions = new SessionService(sessionsDir, this.agents, this.environments, this.host);
    this.resources = new SessionResources(sessionsDir, this.sessions);
    this.vaults = new VaultStore(options.storageRoot, options.vault);
  }

  get vault(): Vault {
    return this.options.vault;
  }

  /** Waits until a session driven here has nothing left to do. */
  settled(sessionId: string): Promise<void> {
    return this.host.settled(sessionId);
  }

  deleteSession(id: string) {
    return this.sessions.delete(id, (sid) => this.options.sandbox.destroy(sid));
  }

  /** Removes sandboxes whose session no longer exists. */
  async reap(): Promise<string[]> {
    return this.options.sandbox.reap(new Set(await this.sessions.ids()));
  }

  async close(): Promise<void> {
    await this.host.close();
    await this.options.sandbox.close();
  }
}

function environmentNote(record: SessionRecord, kind: 'local' | 'docker'): string {
  const where = kind === 'docker' ? 'an isolated container; the repository copy is at /workspace' : 'a private copy of the repository (the working directory of bash)';
  return [
    `You work in ${where}. File tool paths are relative to the repository root.`,
    'Your changes stay in this copy until the user reviews and accepts them; you cannot change the user\'s files directly.',
    record.environment.networking.type === 'none' ? 'The sandbox has no network access.' : `Network access: ${record.environment.networking.type}.`,
  ].join(' ');
}
