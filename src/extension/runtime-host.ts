import path from 'node:path';
import * as vscode from 'vscode';
import * as z from 'zod';
import { Runtime, type RuntimeOptions } from '../runtime';
import { vaultMcpFactory } from '../runtime/mcp';
import { createAnthropicModel } from '../model/anthropic';
import type { ModelClient } from '../model/types';
import { MODEL_API_KEY, type Vault } from '../vault/types';
import { createProvider } from '../runtime/providers';
import { ModelCatalogError, ModelCatalogOverrides, ModelProviderConfigs, PROVIDERS_FILE, hangarMetadataPatch, type Environment } from '../wire';
import { readModelOverrides, readModelProviders, readSettings } from './config';
import { LocalRuntimeClient } from './connection/local-client';
import { RemoteRuntimeClient } from './connection/remote-client';
import { MirroredVaults } from './connection/mirrored-vaults';
import type { ConnectionState, RuntimeClient } from './connection/runtime-client';
import type { RuntimeVaults } from './connection/runtime-vaults';
import { runtimeTarget } from './connection/runtime-target';
import { setLaunchedNiceness } from '../tools/spawn-off-loop';

// Owns the runtime this window uses, behind the RuntimeClient seam (connection/runtime-client.ts). By default its own
// in-process Runtime: storage in the workspace storage (global storage without a folder), the vault in SecretStorage
// (the model key and every credential secret), MCP connections with credentials from the vaults of that storage, the
// model, sandbox provider and model catalogue overrides from settings. With `hangar.runtime.url` set, a detached
// runtime (`hangar serve`) reached through the Managed Agents API instead; what needs the in-process runtime is then
// refused with a sentence (`runtime`). A restart (a changed setting, or a test simulating a window reload) closes the
// runtime or connection and opens a new one; sessions left running continue.

/**
 * How much lower the priority of the in-process runtime's processes is than the extension host's (spawn-off-loop.ts):
 * with 20 sessions on two cores the host's loop waited for a CPU most of its stalls (test/bench/extension-host.bench.ts).
 */
const LAUNCHED_NICENESS = 10;

/** Status of long work on a session, or a notice the user must see once (the local sandbox's caveats). */
export interface SessionProgress {
  sessionId: string;
  message: string;
  notice: boolean;
}

export class RuntimeHost implements vscode.Disposable {
  private current: Runtime | undefined;
  private connection: RuntimeClient | undefined;
  /** Why there is no runtime (a detached one the settings name cannot be used), for every caller to say. */
  private problem: string | undefined;
  private connectionOff: (() => void) | undefined;
  private readonly restarted = new vscode.EventEmitter<RuntimeClient>();
  private readonly linked = new vscode.EventEmitter<ConnectionState>();
  private readonly progress = new vscode.EventEmitter<SessionProgress>();
  private readonly refused = new vscode.EventEmitter<string>();
  /** Fires with the new runtime's client after start() and restart(). */
  readonly onDidStart = this.restarted.event;
  /** A detached runtime stopped answering, or answers again. */
  readonly onConnection = this.linked.event;
  /** The detached runtime's link as last reported (always up in-process). */
  connectionState: ConnectionState = { up: true };
  /** Long sandbox work (copying a repository, building an image). */
  readonly onProgress = this.progress.event;
  /** Fires with the error shown to the user when the `hangar.models` setting or `<storage>/models.json` is refused. */
  readonly onDidRefuseSetting = this.refused.event;
  private restarting: Promise<unknown> = Promise.resolve();
  /** The ids woken after the latest start (sessions a reload left running). */
  resumed: Promise<string[]> = Promise.resolve([]);

  constructor(
    readonly storageRoot: string,
    readonly vault: Vault,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  static storageFor(context: vscode.ExtensionContext): string {
    return (context.storageUri ?? context.globalStorageUri).fsPath;
  }

  /** What the extension needs of the runtime, in-process or detached. */
  get client(): RuntimeClient {
    if (this.problem) throw new Error(this.problem);
    if (!this.connection) throw new Error('Hangar is still starting; try again in a moment.');
    return this.connection;
  }

  /** Why the detached runtime the settings name cannot be used (no token, an unreadable CA file, none announced), if so. */
  get refusal(): string | undefined {
    return this.problem;
  }

  /** True when this window uses a detached runtime (`hangar.runtime.url`). */
  get detached(): boolean {
    return this.connection?.detached === true || this.problem !== undefined;
  }

  /**
   * The in-process Runtime, for what the RuntimeClient seam does not carry (the local API server, and commands
   * that drive this window's own runtime). With a detached runtime it throws the refusal the user sees, naming the
   * setting that chose it.
   */
  get runtime(): Runtime {
    if (this.detached) {
      throw new Error(`This needs Hangar's in-process runtime, and this window uses the detached runtime at ${this.connection?.where ?? 'the address in hangar.runtime.url'} (setting hangar.runtime.url), which does not offer it yet. Clear the setting to use the in-process runtime.`);
    }
    if (!this.current) throw new Error('Hangar is still starting; try again in a moment.');
    return this.current;
  }

  sessionDir(sessionId: string): string {
    return path.join(this.storageRoot, 'sessions', sessionId);
  }

  async start(): Promise<RuntimeClient | undefined> {
    this.problem = undefined;
    const target = await runtimeTarget(this.vault).catch((err: unknown) => {
      this.problem = `Hangar cannot use the runtime in hangar.runtime.url: ${err instanceof Error ? err.message : String(err)}`;
      return undefined;
    });
    if (this.problem) return this.refuseRuntime(this.problem);
    if (target) return this.connect(new RemoteRuntimeClient(target));
    return this.startInProcess();
  }

  private async startInProcess(): Promise<RuntimeClient> {
    // The runtime's processes (git, the agent's commands, ripgrep) yield the CPU to this loop, which runs the UI too.
    setLaunchedNiceness(LAUNCHED_NICENESS);
    const settings = readSettings();
    const sandbox = await createProvider(settings.provider, this.storageRoot, (m) => void vscode.window.showInformationMessage(`Hangar: ${m}`), { warmPool: settings.warmPool, warmPoolMax: settings.warmPoolMax, dockerHost: settings.dockerHost || undefined });
    try {
      this.current = this.open({
        storageRoot: this.storageRoot,
        vault: this.vault,
        sandbox,
        model: followSettingsModel(this.vault),
        modelBaseUrl: settings.baseUrl || undefined,
        maxTokens: settings.maxTokens,
        ...(settings.webSearchUrl ? { webSearch: { url: settings.webSearchUrl } } : {}),
        mcp: vaultMcpFactory(this.storageRoot, this.vault),
        owner: 'vscode',
        onProgress: (sessionId, message, notice) => this.progress.fire({ sessionId, message, notice: notice === true }),
      });
    } catch (err) {
      await sandbox.close();
      if (err instanceof ModelCatalogError) this.refuseModelsFile(err.message);
      throw err;
    }
    this.log.info(`runtime started: storage ${this.storageRoot}, sandbox ${sandbox.kind} (setting: ${settings.provider})`);
    this.connection = new LocalRuntimeClient(this.current, this.storageRoot);
    void vscode.commands.executeCommand('setContext', 'hangar.detachedRuntime', false);
    this.restarted.fire(this.connection);
    this.resumed = this.resumeInterrupted(this.current);
    return this.connection;
  }

  /**
   * A detached runtime: used even when it does not answer yet (the session list is polled with backoff and the
   * status bar says it is gone until it answers); a refused token or certificate is said at once with its fix.
   */
  private async connect(client: RemoteRuntimeClient): Promise<RuntimeClient> {
    this.connection = client;
    this.connectionState = { up: true };
    this.connectionOff = client.onConnection((state) => {
      this.connectionState = state;
      if (!state.up) this.log.warn(`runtime at ${client.where}: ${state.reason} (retrying in ${state.retryInMs} ms)`);
      else this.log.info(`runtime at ${client.where} answers again`);
      this.linked.fire(state);
    });
    await client.check().catch((err: unknown) => {
      const message = `Hangar: the runtime at ${client.where} cannot be used yet: ${err instanceof Error ? err.message : String(err)}`;
      this.log.error(message);
      void vscode.window.showErrorMessage(message, 'Set Runtime Token', 'Open Settings').then((choice) => {
        if (choice === 'Set Runtime Token') void vscode.commands.executeCommand('hangar.setRuntimeToken');
        if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'hangar.runtime');
      });
    });
    this.log.info(`connected to the detached runtime at ${client.where}`);
    void vscode.commands.executeCommand('setContext', 'hangar.detachedRuntime', true);
    this.restarted.fire(client);
    return client;
  }

  private refuseRuntime(message: string): undefined {
    void vscode.commands.executeCommand('setContext', 'hangar.detachedRuntime', true);
    this.log.error(message);
    this.refused.fire(message);
    void vscode.window.showErrorMessage(message, 'Set Runtime Token', 'Open Settings').then((choice) => {
      if (choice === 'Set Runtime Token') void vscode.commands.executeCommand('hangar.setRuntimeToken');
      if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'hangar.runtime');
    });
    return undefined;
  }

  /** One restart at a time: settings changed in quick succession must not open two runtimes on one storage. */
  restart(): Promise<RuntimeClient | undefined> {
    const next = this.restarting.then(
      () => this.stop().then(() => this.start()),
      () => this.stop().then(() => this.start()),
    );
    this.restarting = next;
    return next;
  }

  /**
   * A runtime with the `hangar.models` overrides. When the catalogue refuses them, the user is told why and the
   * runtime starts without them; a broken `<storage>/models.json` still fails the start, with its own reason.
   */
  private open(given: RuntimeOptions): Runtime {
    const options = { ...given, ...this.modelProviders() };
    const raw = readModelOverrides();
    if (raw === undefined) return new Runtime(options);
    const parsed = ModelCatalogOverrides.safeParse(raw);
    if (!parsed.success) return this.withoutModels(options, z.prettifyError(parsed.error));
    try {
      return new Runtime({ ...options, models: parsed.data });
    } catch (err) {
      if (!(err instanceof ModelCatalogError)) throw err;
      return this.withoutModels(options, err.message);
    }
  }

  /** `hangar.modelProviders` when valid; a wrong one is refused with the reason and the runtime starts without it. */
  private modelProviders(): Pick<RuntimeOptions, 'modelProviders'> {
    const raw = readModelProviders();
    if (raw === undefined) return {};
    const parsed = ModelProviderConfigs.safeParse(raw);
    if (parsed.success) return { modelProviders: parsed.data };
    const message = `Hangar: the setting hangar.modelProviders is refused, so only the built-in Anthropic provider is available. ${z.prettifyError(parsed.error)}`;
    this.log.error(message);
    this.refused.fire(message);
    void vscode.window.showErrorMessage(message, 'Open Settings').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'hangar.modelProviders');
    });
    return {};
  }

  /** `<storage>/models.json` is the user's own file: Hangar cannot start on a catalogue it cannot read, so it says which file and how to fix it. */
  private refuseModelsFile(reason: string): void {
    // Either of the storage's model files: the catalogue's models.json or the providers' model-providers.json.
    const name = reason.includes(PROVIDERS_FILE) ? PROVIDERS_FILE : 'models.json';
    const file = path.join(this.storageRoot, name);
    const message = `Hangar cannot start: ${reason}. Fix or delete the file, then run "Developer: Reload Window".`;
    this.log.error(message);
    this.refused.fire(message);
    void vscode.window.showErrorMessage(message, `Open ${name}`).then((choice) => {
      if (choice) void vscode.window.showTextDocument(vscode.Uri.file(file));
    });
  }

  private withoutModels(options: RuntimeOptions, reason: string): Runtime {
    const runtime = new Runtime(options);
    const message = `Hangar: the setting hangar.models is refused, so model limits and prices come from the catalogue without it. ${reason}`;
    this.log.error(message);
    this.refused.fire(message);
    void vscode.window.showErrorMessage(message, 'Open Settings').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'hangar.models');
    });
    return runtime;
  }

  async stop(): Promise<void> {
    const c = this.connection;
    this.connection = undefined;
    this.current = undefined;
    this.connectionOff?.();
    this.connectionOff = undefined;
    await c?.close();
  }

  /** The environment new sessions use: the default one, with the provider and resource limits from settings. */
  async environment(): Promise<Environment> {
    const s = readSettings();
    const limits = { memory_mb: s.memoryMb, cpus: s.cpus, pids: s.pids };
    // A detached runtime keeps the sandbox provider it was started with; this window's setting picks only its own.
    return this.client.defaultEnvironment(hangarMetadataPatch(this.detached ? { limits } : { provider: this.runtime.options.sandbox.kind, limits }));
  }

  /**
   * Vaults and credentials of the runtime this window uses. In-process their secrets are SecretStorage itself; over
   * a detached runtime each secret goes into that runtime's vault (its proxy injects it) and VS Code keeps a copy.
   */
  get vaults(): RuntimeVaults {
    const c = this.client;
    return c.detached ? new MirroredVaults(c.vaults, this.vault, c.where) : c.vaults;
  }

  /**
   * The vaults new sessions get. In-process every active vault of this storage (the workspace's; VS Code keeps one
   * storage per workspace), so credentials added with Hangar: Add Credential reach the MCP servers of the next
   * session; over a detached runtime, shared with other windows and maybe other users, the vaults holding the
   * credentials this VS Code put there.
   */
  async vaultIds(): Promise<string[]> {
    const vaults = this.vaults;
    if (vaults instanceof MirroredVaults) return vaults.vaultIds();
    return (await vaults.list()).map((v) => v.id);
  }

  private async resumeInterrupted(runtime: Runtime): Promise<string[]> {
    try {
      const woken = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'Hangar: resuming sessions' },
        () => runtime.sessions.resumeInterrupted(),
      );
      if (woken.length > 0) this.log.info(`resumed ${woken.length} session(s) left running: ${woken.join(', ')}`);
      return woken;
    } catch (err) {
      this.log.error(`resuming sessions failed: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    }
  }

  dispose(): void {
    this.restarted.dispose();
    this.linked.dispose();
    this.progress.dispose();
    this.refused.dispose();
  }
}

/** A model client that reads the base URL from settings on every request, so a changed setting applies at once. */
function followSettingsModel(vault: Vault): ModelClient {
  let cached: { baseUrl: string; client: ModelClient } | undefined;
  return {
    stream(request, signal) {
      const { baseUrl } = readSettings();
      if (cached?.baseUrl !== baseUrl) cached = { baseUrl, client: createAnthropicModel({ apiKey: () => vault.get(MODEL_API_KEY), baseURL: baseUrl || undefined }) };
      return cached.client.stream(request, signal);
    },
  };
}
