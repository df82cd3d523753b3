import type * as vscode from 'vscode';
import type { AgentFileSystem } from './agents/agent-fs';
import type { CompareViews } from './compare/compare-view';
import type { ApiServerManager } from './api-server';
import type { ApprovalNotifier } from './notifications/approvals';
import type { ProgressNotices } from './notifications/progress';
import type { PanelManager } from './panel/panel-manager';
import type { ReviewActions } from './review/review-actions';
import type { ReviewDecorations } from './review/review-decorations';
import type { ReviewContext } from './review/review-editor';
import type { ReviewManager } from './review/review-manager';
import type { RuntimeHost } from './runtime-host';
import type { SessionsModel } from './sessions-model';
import type { StatusBar } from './status-bar';
import type { AgentsTree } from './tree/agents-tree';
import type { MemoryTree } from './tree/memory-tree';
import type { MemoryFileSystem } from './memory/memory-fs';
import type { SessionsTree } from './tree/sessions-tree';

/** Everything activate() wires together; commands receive it. Also what activate() returns (tests use it). */
export interface Hangar {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  host: RuntimeHost;
  sessions: SessionsModel;
  reviews: ReviewManager;
  actions: ReviewActions;
  /** The review editor's context keys and hunk marks (tests read what they last set). */
  reviewContext: ReviewContext;
  reviewDecorations: ReviewDecorations;
  panels: PanelManager;
  sessionsTree: SessionsTree;
  agentsTree: AgentsTree;
  agentFs: AgentFileSystem;
  /** The Memory view (memory stores, their memories and versions) and memories as documents. */
  memoryTree: MemoryTree;
  memoryFs: MemoryFileSystem;
  statusBar: StatusBar;
  /** Notifications and the view badge for tool calls that wait for the user. */
  approvals: ApprovalNotifier;
  /** Long work on a session in the status bar, and notices (the local sandbox's caveats) as warnings. */
  progress: ProgressNotices;
  /** The compare views of best-of-N attempts (Hangar: Start Best-of-N…, Compare Sessions…). */
  compare: CompareViews;
  /** The local Managed Agents API server (Hangar: Start Local API Server). */
  api: ApiServerManager;
}
