import { mkdirSync } from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as z from 'zod';
import type { ModelClient } from '../model/types';
import type { RetryPolicy } from '../harness/retry';
import type { McpServerState, McpTools } from '../harness/tools';
import type { SandboxProvider } from '../sandbox/types';
import type { ToolOutcome } from '../wire/tool-outcome';
import type { Vault } from '../vault/types';
import { Scrubber } from '../vault/scrubber';
import { RuntimeEgress, type EgressOptions } from './egress';
import { ModelCatalog, ModelCatalogOverrides, reachesNothing, type NewEvent } from '../wire';
import { AgentStore } from './agents';
import { EnvironmentStore } from './environments';
import { FileStore } from './files';
import { filesNote, SessionFiles } from './session-files';
import { SessionHost } from './session-host';
import type { SessionRecord } from './session-record';
import { SessionService } from './sessions';
import { SessionPermissions } from './session-permissions';
import { SessionResources } from './session-resources';
import { SessionSkills } from './session-skills';
import { SkillStore } from './skills';
import { MemoryStores } from './memory-stores';
import { SessionMemory } from './session-memory';
import { UploadedWorkspaces } from './uploaded-workspaces';
import { RepositoryClones, repositoriesNote } from './repository-resources';
import { FileAttachments } from './file-attach';
import { VaultStore } from './vaults';
import { EgressLog } from '../vault/proxy/egress-log';
import { WebSearchSettings, WebTools, type WebRuntime } from '../web';
import type { ModelProviders } from '../model/registry';
import { runtimeProviders, type RuntimeProvidersOptions } from './model-providers';
import { loadProviderConfigs } from './provider-files';
import { loadCatalog } from './catalog';
import { sessionModelProblem } from './session-models';
import { closeInOrder } from './close-steps';
import { SandboxLeftovers, type SandboxLeftover } from './sandbox-leftovers';

export type { McpServerState } from '../harness/tools';

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
  /** Sub-agent threads a multi-agent session may have (default 25, as the hosted platform). */
  maxThreads?: number;
  /**
   * Model catalogue overrides (src/wire/models.ts: context window, output limit, thinking, effort, prices per model),
   * on top of `<storage>/models.json` when that file exists. Invalid overrides fail the runtime's start with a
   * ModelCatalogError naming the reason, before anything is opened or started.
   */
  models?: ModelCatalogOverrides;
  /**
   * Model providers besides the built-in one (`model`), on top of `<storage>/model-providers.json` (src/wire/
   * model-providers.ts). Invalid, the runtime's start fails with a ModelCatalogError naming the reason.
   */
  modelProviders?: unknown;
  /** The built-in provider's base URL, where its models are listed (default api.anthropic.com). */
  modelBaseUrl?: string;
  /** Test seam: how a configured provider's client is made (default: by its kind, src/model/provider-clients.ts). */
  createModelClient?: RuntimeProvidersOptions['createClient'];
  mcp?: (record: SessionRecord, emit: (events: NewEvent[]) => Promise<void>) => Promise<McpTools | null>;
  /** Runs after the vault scrubber over every tool outcome. */
  redact?: (outcome: ToolOutcome) => ToolOutcome;
  /** Status of long work on a session; `notice`: something the user must see once (the local sandbox's caveats), not a passing status. */
  onProgress?: (sessionId: string, message: string, notice?: boolean) => void;
  /** Egress proxy settings (tests: loopback upstreams with their own CA). web_fetch judges hosts with the same ones. */
  egress?: EgressOptions;
  /**
   * The search endpoint web_search uses (a SearXNG-style JSON API): the CLI's HANGAR_WEB_SEARCH_URL, VS Code's
   * hangar.webSearch.url. Absent, web_search is not offered and says why. Invalid, the runtime does not start.
   */
  webSearch?: WebSearchSettings;
  /** Test seam: web_fetch's byte, redirect and time limits. */
  webFetchLimits?: WebRuntime['fetchLimits'];
  /** The Files API's per-file limit in bytes (default 500 MB, the hosted API's). */
  maxFileBytes?: number;
}

export class Runtime {
  readonly agents: AgentStore;
  readonly environments: EnvironmentStore;
  readonly sessions: SessionService;
  readonly resources: SessionResources;
  /** Files attached to live sessions (resources.add). */
  readonly attachments: FileAttachments;
  /** "Allow for this session": per-session tool permission overrides (session updates of the agent's tools). */
  readonly permissions: SessionPermissions;
  readonly vaults: VaultStore;
  /** The Files API: uploads, and what agents write to /mnt/session/outputs/ (scoped to their session). */
  readonly files: FileStore;
  /** The Skills API: custom skills in the Agent Skills format, mounted into the sessions of agents that name them. */
  readonly skills: SkillStore;
  /** The memory store API: stores of text memories with every version kept, mounted into sessions that attach them. */
  readonly memoryStores: MemoryStores;
  /** Replaces every secret of the vault in tool outcomes and tool-made errors (ARCHITECTURE.md invariant 5). */
  readonly scrubber: Scrubber;
  /** The egress proxy of this runtime's sandboxes, started with the first sandbox that has networking. */
  readonly egress: RuntimeEgress;
  /** The model catalogue in effect (built-in, then models.json, then the `models` option): limits and prices. */
  readonly catalog: ModelCatalog;
  /** The model providers: the built-in one and the configured ones, their model lists, and the client that routes to them. */
  readonly modelProviders: ModelProviders;
  private readonly host: SessionHost;
  private readonly sessionFiles: SessionFiles;
  private readonly leftovers: SandboxLeftovers;
  /** Sessions being deleted: their sandbox's failed release is not told, the removal that follows settles it. */
  private readonly deleting = new Set<string>();
  /** The start's sweeps of what a killed runtime left (files, uploaded workspaces); failures are retried next start. */
  private readonly sweeps: Promise<unknown>[] = [];

  constructor(readonly options: RuntimeOptions) {
    const providerConfigs = loadProviderConfigs(options.storageRoot, options.modelProviders);
    this.catalog = loadCatalog(options.storageRoot, options.models, providerConfigs);
    this.modelProviders = runtimeProviders({
      storageRoot: options.storageRoot,
      configs: providerConfigs,
      vault: options.vault,
      builtin: options.model,
      builtinBaseUrl: options.modelBaseUrl,
      catalog: this.catalog,
      createClient: options.createModelClient,
    });
    const sessionsDir = path.join(options.storageRoot, 'sessions');
    mkdirSync(sessionsDir, { recursive: true });
    this.vaults = new VaultStore(options.storageRoot, options.vault);
    this.files = new FileStore(options.storageRoot, options.maxFileBytes);
    this.sweeps.push(this.files.sweep().catch(() => undefined));
    const sessionFiles = (this.sessionFiles = new SessionFiles(this.files, sessionsDir));
    this.skills = new SkillStore(options.storageRoot);
    this.memoryStores = new MemoryStores(options.storageRoot);
    const sessionMemory = new SessionMemory(this.memoryStores, sessionsDir, options.sandbox);
    const sessionSkills = new SessionSkills(this.skills, sessionsDir);
    this.scrubber = new Scrubber(options.vault);
    this.egress = new RuntimeEgress({ storageRoot: options.storageRoot, sessionsDir, vaults: this.vaults, vault: options.vault, options: options.egress });
    options.sandbox.useEgress?.(this.egress);
    const clones = new RepositoryClones(sessionsDir, options.vault, this.egress);
    const webSearch = options.webSearch === undefined ? null : parseWebSearch(options.webSearch);
    const webLog = new EgressLog(null);
    this.agents = new AgentStore(options.storageRoot, this.catalog, this.skills);
    this.environments = new EnvironmentStore(options.storageRoot);
    this.leftovers = new SandboxLeftovers(path.join(options.storageRoot, 'sandbox-leftovers'), options.sandbox, options.storageRoot, (id, m, after) => {
      if (after === 'delete' || !this.deleting.has(id)) options.onProgress?.(id, m, true);
    });
    this.host = new SessionHost({
      sessionsDir,
      owner: `${options.owner ?? 'hangar'}@${os.hostname()}:${process.pid}`,
      provider: options.sandbox,
      model: this.modelProviders.router(),
      retry: options.retry,
      maxTokens: options.maxTokens,
      maxRequestsPerTurn: options.maxRequestsPerTurn,
      maxThreads: options.maxThreads,
      files: sessionFiles,
      skills: (record) => sessionSkills.mount(record.id),
      memory: sessionMemory,
      catalog: this.catalog,
      mcp: options.mcp,
      redact: (o) => this.redact(o),
      scrubPreview: (text, cut) => this.scrubPreview(text, cut),
      redactText: async (t) => {
        await this.scrubber.refresh().catch(() => undefined);
        return this.scrubber.text(t);
      },
      sandboxEnv: (record) => this.egress.placeholders(record),
      repositories: (record) => clones.mounts(record),
      onSettled: (id, log) => this.sessions.persistSummary(id, log),
      hostTools: (record, agent) =>
        new WebTools(agent, {
          policy: () => this.egress.policyFor(record.id),
          lookup: options.egress?.lookup,
          allowPrivate: options.egress?.allowPrivate,
          upstreamCa: options.egress?.upstreamCa,
          search: webSearch,
          providerSearch: this.modelProviders.serverWebSearch(agent.model.id),
          log: webLog,
          fetchLimits: options.webFetchLimits,
        }),
      onProgress: options.onProgress,
      leftovers: this.leftovers,
      environmentNote: (record) => `${environmentNote(record, options.sandbox.kind)}${filesNote(record, (target) => options.sandbox.mountedAt?.(record.id, target) ?? target)}${sessionSkills.note(record.id, (target) => options.sandbox.mountedAt?.(record.id, target) ?? target)}${sessionMemory.note(record, (target) => options.sandbox.mountedAt?.(record.id, target) ?? target)}${repositoriesNote(record)}`,
    });
    const workspaces = new UploadedWorkspaces(path.join(options.storageRoot, 'workspaces'), this.files);
    // What a runtime killed mid-unpack or mid-removal left; a live process's are claimed and kept.
    this.sweeps.push(workspaces.sweep().catch(() => undefined));
    this.sessions = new SessionService(sessionsDir, this.agents, this.environments, this.host, this.catalog, sessionFiles, clones, sessionSkills, sessionMemory, workspaces, (agent) =>
      sessionModelProblem(agent, this.modelProviders, this.catalog),
    );
    this.resources = new SessionResources(sessionsDir, this.sessions, clones);
    this.permissions = new SessionPermissions(this.sessions, this.agents);
    // Sandboxes that failed to release or go with their session before (an engine that was down): tried again.
    this.sweeps.push(this.sweepLeftovers().catch(() => undefined));
    this.attachments = new FileAttachments(this.sessions, this.host, sessionFiles, (id, target) => options.sandbox.mountedAt?.(id, target) ?? target);
  }

  get vault(): Vault {
    return this.options.vault;
  }

  /** MCP servers of a session driven by this runtime, with their connection state (null: not driven here). */
  mcpStatus(sessionId: string): McpServerState[] | null {
    return this.host.mcpStatus(sessionId);
  }

  /** Calls `listener` when a session driven here has new outputs captured (after an idle); returns the unsubscribe. */
  onOutputs(listener: (sessionId: string) => void): () => void {
    return this.sessionFiles.onCaptured(listener);
  }

  /** Waits until a session driven here has nothing left to do. */
  settled(sessionId: string): Promise<void> {
    return this.host.settled(sessionId);
  }

  /**
   * Deletes a session. A sandbox that cannot be removed (its engine does not answer) does not keep the session: it is
   * recorded as left, said once, and removed by a later sweep.
   */
  async deleteSession(id: string) {
    this.deleting.add(id);
    try {
      return await this.sessions.delete(id, async (sid) => {
        try {
          await this.options.sandbox.destroy(sid);
          await this.leftovers.clear(sid);
        } catch (err) {
          await this.leftovers.left(sid, 'delete', err);
        }
      });
    } finally {
      this.deleting.delete(id);
    }
  }

  /** Removes sandboxes whose session no longer exists, and retries what failed releases left. */
  async reap(): Promise<string[]> {
    const removed = await this.options.sandbox.reap(new Set(await this.sessions.ids()));
    const swept = await this.sweepLeftovers();
    return [...new Set([...removed, ...swept])].sort();
  }

  /** Sandboxes that failed to release or to go with their session, not yet removed by a sweep (oldest first). */
  sandboxLeftovers(): Promise<SandboxLeftover[]> {
    return this.leftovers.list();
  }

  /** Retries every recorded leftover now; returns the sessions whose leftover is gone. */
  sweepLeftovers(): Promise<string[]> {
    return this.host.sweepLeftovers((id) => fsp.access(this.host.dir(id)).then(() => true, () => false));
  }

  /**
   * Closes the sessions held here, then the sandbox provider, then the egress proxy: each even when one before it
   * failed (a home removed under the runtime fails a lease release; the sandboxes must close all the same). A
   * CloseError names every step that failed.
   */
  /**
   * Resolves when the start's sweeps are done. Close waits for them: a sweep cut off would leave the locks it holds
   * for the next start to break. Tests that look at the storage after a start wait for it too.
   */
  async swept(): Promise<void> {
    await Promise.all(this.sweeps);
  }

  async close(): Promise<void> {
    await closeInOrder([
      ['finishing the start\'s sweeps', () => this.swept()],
      ['closing the sessions', () => this.host.close()],
      ['closing the sandboxes', () => this.options.sandbox.close()],
      ['closing the egress proxy', () => this.egress.close()],
    ]);
  }

  private async redact(outcome: ToolOutcome): Promise<ToolOutcome> {
    // Secrets added since the last call (a new credential) are known before this outcome is scrubbed; if the vault
    // cannot be read right now, the secrets known so far still apply.
    await this.scrubber.refresh().catch(() => undefined);
    const scrubbed = this.scrubber.outcome(outcome);
    return this.options.redact ? this.options.redact(scrubbed) : scrubbed;
  }

  /** A running command's live output, scrubbed as its result will be: the vault's secrets, then the `redact` option. */
  private async scrubPreview(text: string, cut: boolean): Promise<string> {
    await this.scrubber.refresh().catch(() => undefined);
    const scrubbed = this.scrubber.window(text, cut);
    if (!this.options.redact) return scrubbed;
    return this.options.redact({ content: [{ type: 'text', text: scrubbed }], is_error: false })
      .content.map((b) => (b.type === 'text' ? b.text : ''))
      .join('');
  }
}

function environmentNote(record: SessionRecord, kind: 'local' | 'docker'): string {
  const where = kind === 'docker' ? 'an isolated container; the repository copy is at /workspace' : 'a private copy of the repository (the working directory of bash)';
  return [
    `You work in ${where}. File tool paths are relative to the repository root.`,
    'Your changes stay in this copy until the user reviews and accepts them; you cannot change the user\'s files directly.',
    reachesNothing(record.environment.networking) ? 'The sandbox has no network access.' : `Network access: ${record.environment.networking.type}.`,
  ].join(' ');
}

/** The webSearch setting, checked before anything starts: a wrong one is refused with the reason. */
function parseWebSearch(value: unknown): WebSearchSettings {
  const parsed = WebSearchSettings.safeParse(value);
  if (!parsed.success) throw new WebSearchSettingError(`The webSearch setting is invalid: ${z.prettifyError(parsed.error)} (expected {"url": "https://search.example/search"}).`);
  return parsed.data;
}

export class WebSearchSettingError extends Error {
  override readonly name = 'WebSearchSettingError';
}
