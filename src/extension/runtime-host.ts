import path from 'node:path';
import * as vscode from 'vscode';
import { Runtime } from '../runtime';
import { vaultMcpFactory } from '../runtime/mcp';
import { createAnthropicModel } from '../model/anthropic';
import type { ModelClient } from '../model/types';
import { MODEL_API_KEY, type Vault } from '../vault/types';
import { createProvider } from '../runtime/providers';
import type { Environment } from '../wire';
import { readSettings } from './config';

// Owns the one Runtime of this window: storage in the workspace storage (global storage without a folder), the vault
// in SecretStorage (the model key and every credential secret), MCP connections with credentials from the vaults of
// that storage, the model and sandbox provider from settings. A restart (new provider, or a test simulating a
// window reload) closes the runtime and opens a new one on the same storage; sessions left running continue.

export class RuntimeHost implements vscode.Disposable {
  private current: Runtime | undefined;
  private readonly restarted = new vscode.EventEmitter<Runtime>();
  private readonly progress = new vscode.EventEmitter<{ sessionId: string; message: string }>();
  /** Fires with the new runtime after start() and restart(). */
  readonly onDidStart = this.restarted.event;
  /** Long sandbox work (copying a repository, building an image). */
  readonly onProgress = this.progress.event;
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

  get runtime(): Runtime {
    if (!this.current) throw new Error('Hangar is still starting; try again in a moment.');
    return this.current;
  }

  sessionDir(sessionId: string): string {
    return path.join(this.storageRoot, 'sessions', sessionId);
  }

  async start(): Promise<Runtime> {
    const settings = readSettings();
    const sandbox = await createProvider(settings.provider, this.storageRoot, (m) => void vscode.window.showInformationMessage(`Hangar: ${m}`));
    this.current = new Runtime({
      storageRoot: this.storageRoot,
      vault: this.vault,
      sandbox,
      model: followSettingsModel(this.vault),
      maxTokens: settings.maxTokens,
      mcp: vaultMcpFactory(this.storageRoot, this.vault),
      owner: 'vscode',
      onProgress: (sessionId, message) => this.progress.fire({ sessionId, message }),
    });
    this.log.info(`runtime started: storage ${this.storageRoot}, sandbox ${sandbox.kind} (setting: ${settings.provider})`);
    this.restarted.fire(this.current);
    this.resumed = this.resumeInterrupted(this.current);
    return this.current;
  }

  async restart(): Promise<Runtime> {
    await this.stop();
    return this.start();
  }

  async stop(): Promise<void> {
    const r = this.current;
    this.current = undefined;
    await r?.close();
  }

  /** The environment new sessions use: the default one, with the resource limits from settings. */
  async environment(): Promise<Environment> {
    const s = readSettings();
    const envs = this.runtime.environments;
    const env = await envs.ensureDefault();
    const limits = { memory_mb: s.memoryMb, cpus: s.cpus, pids: s.pids };
    const current = env.config.type === 'cloud' ? env.config.hangar : undefined;
    const provider = this.runtime.options.sandbox.kind;
    if (current && current.provider === provider && JSON.stringify(current.limits) === JSON.stringify(limits)) return env;
    return envs.update(env.id, { config: { hangar: { ...current, provider, limits } } });
  }

  /**
   * The vaults new sessions get: every active vault of this storage (the workspace's; VS Code keeps one storage per
   * workspace), so credentials added with Hangar: Add Credential reach the MCP servers of the next session.
   */
  async vaultIds(): Promise<string[]> {
    const ids: string[] = [];
    for (let page: string | undefined; ; ) {
      const res = await this.runtime.vaults.list({ limit: 100, page });
      ids.push(...res.data.map((v) => v.id));
      if (!res.next_page) return ids;
      page = res.next_page;
    }
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
    this.progress.dispose();
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
