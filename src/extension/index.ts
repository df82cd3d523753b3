import * as vscode from 'vscode';
import { AgentFileSystem, AGENT_SCHEME } from './agents/agent-fs';
import { ApiServerManager } from './api-server';
import { registerAgentCommands } from './commands/agent-commands';
import { registerApiCommands } from './commands/api-commands';
import { registerChatCommands } from './commands/chat-commands';
import { registerPermissionCommands } from './commands/permission-commands';
import { registerReviewCommands } from './commands/review-commands';
import { registerBranchCommands } from './commands/branch-commands';
import { registerForkCommands } from './commands/fork-commands';
import { registerSessionCommands } from './commands/session-commands';
import { registerFileCommands } from './commands/file-commands';
import { registerVaultCommands } from './commands/vault-commands';
import { registerModelCommands } from './commands/model-commands';
import { registerBudgetCommands } from './commands/budget-commands';
import { registerBestOfCommands } from './compare/best-of-commands';
import { CompareViews } from './compare/compare-view';
import { needsRestart, settingsProblems } from './config';
import { ConnectionStatus } from './connection/connection-status';
import { registerRuntimeCommands } from './connection/runtime-commands';
import type { Hangar } from './hangar';
import { LOG_SCHEME, LogDocumentProvider } from './log-document';
import { ApprovalNotifier } from './notifications/approvals';
import { ProgressNotices } from './notifications/progress';
import { PanelManager } from './panel/panel-manager';
import { HunkCodeLensProvider } from './review/codelens';
import { ReviewActions } from './review/review-actions';
import { ReviewDecorations } from './review/review-decorations';
import { ReviewContext } from './review/review-editor';
import { ReviewManager } from './review/review-manager';
import { SANDBOX_SCHEME, SandboxContentProvider } from './review/sandbox-content';
import { openChange } from './review/open-diff';
import { RuntimeHost } from './runtime-host';
import { SecretStorageVault } from './secret-vault';
import { SessionsModel } from './sessions-model';
import { StatusBar } from './status-bar';
import { AgentsTree } from './tree/agents-tree';
import { MemoryTree } from './tree/memory-tree';
import { MEMORY_SCHEME, MemoryFileSystem } from './memory/memory-fs';
import { SessionsTree } from './tree/sessions-tree';

// Composition root of the extension: one RuntimeHost (one Runtime per window), the views, the panels and the
// commands. Activation is lazy (views, commands, restoring a panel); activate() returns quickly and never awaits
// sandbox or model work.

let hangar: Hangar | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<Hangar> {
  const log = vscode.window.createOutputChannel('Hangar', { log: true });
  const host = new RuntimeHost(RuntimeHost.storageFor(context), new SecretStorageVault(context.secrets), log);
  const sessions = new SessionsModel(host);
  const reviews = new ReviewManager(host, sessions, log);
  const agentFs = new AgentFileSystem(host);
  const sessionsTree = new SessionsTree(sessions, reviews, host);
  const agentsTree = new AgentsTree(host);
  const memoryFs = new MemoryFileSystem(host);
  const memoryTree = new MemoryTree(host, memoryFs.onDidSaveMemory);
  const statusBar = new StatusBar(sessions);
  const panels = new PanelManager({ host, log, extensionUri: context.extensionUri, openPath: (id, rel) => openPath(h, id, rel), latestSession: async () => (await sessions.list())[0]?.id }, context.workspaceState);
  const h: Hangar = {
    context,
    log,
    host,
    sessions,
    reviews,
    actions: new ReviewActions(reviews),
    reviewContext: new ReviewContext(reviews),
    reviewDecorations: new ReviewDecorations(reviews),
    panels,
    sessionsTree,
    agentsTree,
    agentFs,
    memoryTree,
    memoryFs,
    statusBar,
    // The session is in view in its editor tab or in the side-bar chat: the prompt shows there, no notification.
    approvals: new ApprovalNotifier({ host, sessions, panelVisible: (id) => panels.get(id)?.panel.visible === true || (panels.chat.visible && panels.chat.sessionId === id) }),
    api: new ApiServerManager(host, log),
    compare: new CompareViews(() => h),
    progress: new ProgressNotices(host, log),
  };
  await host.start();
  const sessionsView = sessionsTree.register();
  h.approvals.attachView(sessionsView);
  context.subscriptions.push(
    log,
    host,
    sessions,
    reviews,
    sessionsTree,
    agentsTree,
    memoryTree,
    statusBar,
    new ConnectionStatus(host),
    h.api,
    PanelManager.register(h.panels),
    sessionsView,
    h.approvals,
    h.progress,
    vscode.window.registerTreeDataProvider('hangar.agents', agentsTree),
    vscode.workspace.registerFileSystemProvider(AGENT_SCHEME, agentFs, { isCaseSensitive: true }),
    vscode.window.registerTreeDataProvider('hangar.memory', memoryTree),
    vscode.workspace.registerFileSystemProvider(MEMORY_SCHEME, memoryFs, { isCaseSensitive: true }),
    registerContent(SANDBOX_SCHEME, new SandboxContentProvider(host, reviews)),
    registerContent(LOG_SCHEME, new LogDocumentProvider(host, sessions)),
    HunkCodeLensProvider.register(reviews),
    h.reviewContext,
    h.reviewDecorations,
    ...registerSessionCommands(h),
    ...registerFileCommands(h),
    ...registerChatCommands(h),
    ...registerAgentCommands(h),
    ...registerReviewCommands(h),
    ...registerBranchCommands(h),
    ...registerForkCommands(h),
    ...registerVaultCommands(h),
    ...registerModelCommands(h),
    ...registerApiCommands(h),
    ...registerPermissionCommands(h),
    ...registerBudgetCommands(h),
    ...registerRuntimeCommands(h),
    ...registerBestOfCommands(h),
    CompareViews.register(h.compare),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('hangar')) warnAboutSettings(log);
      if (!needsRestart(e)) return;
      void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Hangar: applying new settings' }, () => host.restart());
    }),
  );
  warnAboutSettings(log);
  void statusBar.update();
  void h.approvals.refresh();
  hangar = h;
  return h;
}

/** The settings problems shown last, so each is shown once while it lasts (and again if it comes back). */
let settingsShown = new Set<string>();

/** Says which settings hold values Hangar cannot use, and what it uses instead: never silently a default. */
function warnAboutSettings(log: vscode.LogOutputChannel): void {
  const problems = settingsProblems();
  for (const p of problems.filter((x) => !settingsShown.has(x))) {
    log.warn(p);
    void vscode.window.showWarningMessage(`Hangar: ${p}`, 'Open Settings').then((pick) => pick && vscode.commands.executeCommand('workbench.action.openSettings', p.split(' ')[0]));
  }
  settingsShown = new Set(problems);
}

export async function deactivate(): Promise<void> {
  // Leases are released so the next window (or the CLI) can continue the sessions at once; API clients are cut off
  // first, so none of them acts on a runtime that is closing.
  await hangar?.api.stop();
  await hangar?.host.stop();
  hangar = undefined;
}

function registerContent(scheme: string, provider: vscode.TextDocumentContentProvider & vscode.Disposable): vscode.Disposable {
  return vscode.Disposable.from(provider, vscode.workspace.registerTextDocumentContentProvider(scheme, provider));
}

/** Opens a file the panel mentions: its review diff when the session changed it, else the workspace file or the sandbox copy. */
async function openPath(h: Hangar, sessionId: string, rel: string): Promise<void> {
  const changed = (await h.reviews.files(sessionId)).some((f) => f.path === rel);
  if (changed) return openChange(h, sessionId, rel);
  const ws = await h.reviews.workspaceUri(sessionId, rel);
  const exists = await vscode.workspace.fs.stat(ws).then(() => true, () => false);
  if (!exists) throw new Error(`${rel} does not exist in the workspace or among the session's changes.`);
  await vscode.window.showTextDocument(ws, { preview: true });
}
