import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Runtime, type RuntimeOptions } from '../../src/runtime';
import { vaultMcpFactory } from '../../src/runtime/mcp';
import type { Reply, Responder, ScriptedModel } from '../../src/model/scripted';
import { modelClientFor, startScriptedFor, type ModelApi, type ScriptedForOptions } from './model-apis';
import { LocalSandboxProvider } from '../../src/sandbox/local';
import { MemoryVault } from '../../src/vault/memory';
import { DEFAULT_MODEL } from '../../src/model/types';
import type { AgentCreateParams, SessionEvent } from '../../src/wire';
import type { SandboxProvider } from '../../src/sandbox/types';

// A real runtime on temp storage, the local sandbox and the scripted model over HTTP: the harness tests drive it
// exactly as the CLI and the extension do.

export interface TestRuntime {
  runtime: Runtime;
  model: ScriptedModel;
  storage: string;
  repo: string;
  envId: string;
  agent(params?: Partial<AgentCreateParams>): Promise<string>;
  start(text: string, agent?: Partial<AgentCreateParams>): Promise<string>;
  events(sessionId: string): Promise<SessionEvent[]>;
  waitFor(sessionId: string, done: (events: SessionEvent[]) => boolean, timeoutMs?: number): Promise<SessionEvent[]>;
  /**
   * A new runtime on the same storage and scripted model, as after a window reload (close `runtime` first if the
   * test needs the lease); close() closes it too.
   */
  reopen(owner?: string): Runtime;
  close(): Promise<void>;
}

export interface TestRuntimeOptions {
  script?: Reply[] | Responder;
  /**
   * Scripted model settings besides the script: a `catalog` whose model refuses thinking or an effort value, `strict`,
   * `reasoning` (the Chat Completions server as a reasoning model).
   */
  model?: Omit<ScriptedForOptions, 'script'>;
  /** Which model API the scripted model speaks and the runtime's client uses (default: Anthropic's Messages API). */
  api?: ModelApi;
  provider?: (storage: string) => SandboxProvider;
  runtime?: Partial<RuntimeOptions>;
  repoFiles?: Record<string, string>;
  storage?: string;
}

export function makeRepo(files: Record<string, string> = { 'README.md': '# sample\n', 'src/app.js': 'console.log("hi");\n' }): string {
  const repo = mkdtempSync(path.join(os.tmpdir(), 'hangar-repo-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(repo, name)), { recursive: true });
    writeFileSync(path.join(repo, name), content);
  }
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'ignore', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'init');
  return repo;
}

export async function makeTestRuntime(opts: TestRuntimeOptions = {}): Promise<TestRuntime> {
  const storage = opts.storage ?? mkdtempSync(path.join(os.tmpdir(), 'hangar-store-'));
  const repo = makeRepo(opts.repoFiles);
  const api = opts.api ?? 'anthropic';
  const model = await startScriptedFor(api, { ...opts.model, script: opts.script ?? [] });
  const vault = opts.runtime?.vault ?? new MemoryVault();
  const sandbox = opts.runtime?.sandbox ?? (opts.provider ? opts.provider(storage) : new LocalSandboxProvider({ storageRoot: storage }));
  const runtime = new Runtime({
    storageRoot: storage,
    vault,
    sandbox,
    model: modelClientFor(api, model.url),
    retry: { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20 },
    owner: 'test',
    mcp: vaultMcpFactory(storage, vault),
    ...opts.runtime,
  });
  const env = await runtime.environments.ensureDefault();
  const reopened: Runtime[] = [];
  const t: TestRuntime = {
    runtime,
    model,
    storage,
    repo,
    envId: env.id,
    async agent(params = {}) {
      const a = await runtime.agents.create({ name: 'tester', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }], ...params });
      return a.id;
    },
    async start(text, agentParams) {
      const agent = await t.agent(agentParams);
      const s = await runtime.sessions.create({ agent, environment_id: env.id, resources: [{ type: 'local_repository', path: repo }] });
      await runtime.sessions.send(s.id, [{ type: 'user.message', content: [{ type: 'text', text }] }]);
      return s.id;
    },
    async events(id) {
      return [...(await runtime.sessions.listEvents(id, { limit: 100_000 })).data];
    },
    async waitFor(id, done, timeoutMs = 20_000) {
      const seen: SessionEvent[] = [];
      let finished = false;
      let subscribed: Promise<() => void> | undefined;
      const result = new Promise<SessionEvent[]>((resolve, reject) => {
        const timer = setTimeout(() => {
          finished = true;
          reject(new Error(`timed out; events so far:\n${seen.map((e) => e.type).join('\n')}`));
        }, timeoutMs);
        const listener = (e: SessionEvent) => {
          if (finished) return;
          seen.push(e);
          if (done(seen)) {
            finished = true;
            clearTimeout(timer);
            resolve([...seen]);
          }
        };
        subscribed = runtime.sessions.subscribe(id, 0, listener);
        subscribed.catch(reject);
      });
      try {
        return await result;
      } finally {
        (await subscribed?.catch(() => undefined))?.();
      }
    },
    reopen(owner = 'reloaded') {
      const next = new Runtime({
        storageRoot: storage,
        vault: new MemoryVault(),
        sandbox: new LocalSandboxProvider({ storageRoot: storage }),
        model: modelClientFor(api, model.url),
        owner,
      });
      reopened.push(next);
      return next;
    },
    async close() {
      for (const r of reopened) await r.close();
      await runtime.close();
      await model.close();
      rmSync(repo, { recursive: true, force: true });
      if (opts.storage) return;
      // A session the test did not delete keeps its Docker volume on purpose (a later start reattaches): the storage
      // goes, so they go first. What this cannot remove (a test broke the engine) the run's leak check reports.
      if (sandbox.kind === 'docker' && existsSync(path.join(storage, 'docker'))) await sandbox.reap(new Set()).catch(() => undefined);
      rmSync(storage, { recursive: true, force: true });
    },
  };
  return t;
}

export const types = (events: readonly SessionEvent[]) => events.map((e) => e.type);
export const idleAfter = (n: number) => (events: readonly SessionEvent[]) => events.filter((e) => e.type === 'session.status_idle').length >= n;
