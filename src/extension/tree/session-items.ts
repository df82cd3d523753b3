import * as vscode from 'vscode';
import { describeHunk } from '../../review/hunks';
import type { ReviewedFile, ReviewedHunk } from '../../review/session-review';
import { costBasis, formatCost } from '../../format/cost';
import { SANDBOX_KIND } from '../../format/sandbox';
import { formatDuration } from '../format';
import type { McpServerState } from '../../runtime';
import type { SessionView } from '../sessions-model';
import type { FileMetadata } from '../../wire';
import { formatBytes } from '../../tools/output';
import { nodeId, type FileNode, type HunkNode, type InfoNode, type McpNode, type OutputNode, type SessionNode, type ThreadNode } from './nodes';
import { sessionBadgeUri } from './review-badges';
import type { ThreadStatus, ThreadView } from './thread-fold';

// How sessions, their changed files and hunks look in the sidebar.

export type SessionState = 'running' | 'needsAction' | 'failed' | 'idle' | 'terminated' | 'rescheduling';

export function stateOf(v: SessionView): SessionState {
  if (v.status === 'running') return 'running';
  if (v.status === 'rescheduling') return 'rescheduling';
  if (v.status === 'terminated') return 'terminated';
  if (v.needsAction) return 'needsAction';
  if (v.stopReason?.type === 'retries_exhausted') return 'failed';
  return 'idle';
}

const ICONS: Record<SessionState, [string, string | undefined, string]> = {
  running: ['sync~spin', 'charts.blue', 'running'],
  rescheduling: ['history', 'charts.orange', 'retrying'],
  needsAction: ['bell-dot', 'charts.yellow', 'Waiting for you'],
  failed: ['error', 'errorForeground', 'stopped after errors'],
  idle: ['pass', 'charts.green', 'idle'],
  terminated: ['circle-slash', 'disabledForeground', 'terminated'],
};

/** What a session's changes still wait for: files and hunks with no decision yet. */
export interface PendingReview {
  files: number;
  hunks: number;
}

/** A session at rest with changes to review shows that instead of its plain state (running, waiting and failed win). */
const TO_REVIEW: [string, string, string] = ['diff', 'gitDecoration.modifiedResourceForeground', 'changes to review'];
/** Long task titles are cut so the description (what needs review, time, cost) stays visible; the tooltip has it all. */
const TITLE_MAX = 48;

export function sessionItem(node: SessionNode, v: SessionView, review?: PendingReview): vscode.TreeItem {
  const state = stateOf(v);
  const toReview = review !== undefined && review.hunks > 0;
  const [icon, color, words] = toReview && (state === 'idle' || state === 'terminated') ? TO_REVIEW : ICONS[state];
  const title = v.title.length > TITLE_MAX ? `${v.title.slice(0, TITLE_MAX - 1).trimEnd()}…` : v.title;
  const item = new vscode.TreeItem(title, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = nodeId(node);
  item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
  item.resourceUri = sessionBadgeUri(node.sessionId);
  const pending = toReview ? `${review.files} file${review.files === 1 ? '' : 's'} to review · ` : '';
  item.description = `${state === 'needsAction' ? 'Waiting for you · ' : ''}${pending}${formatDuration(v.activeSeconds)} · ${formatCost(v.costCents, v.costEstimated)} · ${SANDBOX_KIND[v.sandbox].label}`;
  item.contextValue = `session.${state}${toReview ? '.review' : ''}`;
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escapeMd(v.title)}**\n\n`);
  const sandbox = SANDBOX_KIND[v.sandbox];
  md.appendMarkdown(`$(${icon}) ${words} · agent ${escapeMd(v.agentName)} · $(${sandbox.icon}) ${sandbox.label}: ${sandbox.title.toLowerCase()}\n\n`);
  if (toReview) md.appendMarkdown(`$(diff) ${review.hunks} hunk${review.hunks === 1 ? '' : 's'} in ${review.files} file${review.files === 1 ? '' : 's'} to review: accept or reject them, or Apply All / Discard\n\n`);
  md.appendMarkdown(`worked ${formatDuration(v.activeSeconds)} · ${formatCost(v.costCents, v.costEstimated)} (${costBasis(v.costEstimated)})\n\n`);
  if (v.lastError) md.appendMarkdown(`last error: ${escapeMd(v.lastError)}\n\n`);
  md.appendMarkdown(`\`${v.id}\` · started ${new Date(v.createdAt).toLocaleString()}`);
  item.tooltip = md;
  item.command = { command: 'hangar.openSession', title: 'Open Session', arguments: [node] };
  return item;
}

const THREAD_ICONS: Record<ThreadStatus, [string, string | undefined]> = {
  starting: ['loading~spin', undefined],
  running: ['sync~spin', 'charts.blue'],
  idle: ['pass', 'charts.green'],
  terminated: ['circle-slash', 'disabledForeground'],
};

/** A sub-agent thread of a session (from its session.thread_* events). */
export function threadItem(node: ThreadNode, t: ThreadView): vscode.TreeItem {
  const waiting = t.status === 'idle' && t.stopReason?.type === 'requires_action';
  const item = new vscode.TreeItem(t.agentName || t.id, vscode.TreeItemCollapsibleState.None);
  item.id = nodeId(node);
  const [icon, color] = waiting ? ['bell-dot', 'charts.yellow'] : THREAD_ICONS[t.status];
  item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
  item.description = `sub-agent · ${waiting ? 'Waiting for you' : t.status} · ${formatCost(t.costCents, t.costEstimated)}`;
  item.contextValue = `thread.${waiting ? 'waiting' : t.status}`;
  item.tooltip = `${t.agentName} (${t.id})\n${waiting ? 'waiting for you: open the session to answer' : t.status}${t.stopReason && !waiting ? ` · ${t.stopReason.type}` : ''} · ${formatCost(t.costCents, t.costEstimated)} (${costBasis(t.costEstimated)})${t.workflowRunId ? `\nworkflow run ${t.workflowRunId}` : ''}`;
  item.command = { command: 'hangar.openSession', title: 'Open Session', arguments: [{ sessionId: node.sessionId, threadId: t.id }] };
  return item;
}

const MCP_ICONS: Record<McpServerState['state'], [string, string | undefined, string]> = {
  connecting: ['loading~spin', undefined, 'connecting'],
  connected: ['plug', 'charts.green', 'connected'],
  disconnected: ['debug-disconnect', 'errorForeground', 'not connected'],
  closed: ['circle-slash', 'disabledForeground', 'closed'],
};

/** An MCP server of a session with its connection state; `live` false: the session's connections are not in this window. */
export function mcpItem(node: McpNode, s: McpServerState, live: boolean): vscode.TreeItem {
  const item = new vscode.TreeItem(s.name, vscode.TreeItemCollapsibleState.None);
  item.id = nodeId(node);
  const [icon, color, words] = live ? MCP_ICONS[s.state] : (['debug-disconnect', 'disabledForeground', 'not connected'] as const);
  item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
  const tools = s.tools.length === 1 ? '1 tool' : `${s.tools.length} tools`;
  item.description = `MCP ${s.type} · ${live ? (s.state === 'connected' ? `${words} · ${tools}` : s.error ? `${words}: ${s.error}` : words) : 'connects when the session runs here'}`;
  item.contextValue = `mcp.${live ? s.state : 'inactive'}`;
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**MCP server ${escapeMd(s.name)}** (${s.type}) · $(${icon}) ${words}\n\n`);
  if (s.error) md.appendMarkdown(`${escapeMd(s.error)}\n\n`);
  if (s.tools.length > 0) md.appendMarkdown(`tools: ${s.tools.map((t) => `\`${t}\``).join(', ')}\n\n`);
  if (s.calls > 0) md.appendMarkdown(`${s.calls} call(s) in flight\n\n`);
  if (s.pid) md.appendMarkdown(`process ${s.pid}`);
  item.tooltip = md;
  return item;
}

/** An output of the session: opens on click; Save As from its inline button. */
export function outputItem(node: OutputNode, f: FileMetadata): vscode.TreeItem {
  const item = new vscode.TreeItem(f.filename, vscode.TreeItemCollapsibleState.None);
  item.id = nodeId(node);
  item.iconPath = new vscode.ThemeIcon('file-symlink-file');
  item.description = `output · ${formatBytes(f.size_bytes)}`;
  item.tooltip = `${f.filename}: left by the agent in /mnt/session/outputs/ (${f.created_at.slice(0, 19)}). Click to open; Save As keeps a copy in your workspace.`;
  item.contextValue = 'output';
  item.command = { command: 'hangar.openOutput', title: 'Open Output', arguments: [node] };
  return item;
}

const STATUS_LETTER: Record<string, string> = { added: 'A', modified: 'M', deleted: 'D', renamed: 'R', mode_changed: 'M' };

export function fileItem(node: FileNode, f: ReviewedFile, workspaceUri: vscode.Uri): vscode.TreeItem {
  const pending = f.hunks.filter((h) => h.status === 'pending').length;
  const item = new vscode.TreeItem(workspaceUri, f.perHunk && f.hunks.length > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
  item.id = nodeId(node);
  item.label = f.path;
  const counts = f.change.binary ? 'binary' : `+${f.change.additions} −${f.change.deletions}`;
  item.description = `${STATUS_LETTER[f.change.status] ?? '?'} ${counts} · ${pending === 0 ? 'reviewed' : `${pending}/${f.hunks.length} to review`}`;
  item.contextValue = pending > 0 ? 'file.pending' : 'file.reviewed';
  item.tooltip = f.change.old_path ? `${f.change.old_path} → ${f.path}` : f.path;
  item.command = { command: 'hangar.openChange', title: 'Open Diff', arguments: [node] };
  return item;
}

const HUNK_ICONS: Record<ReviewedHunk['status'], [string, string]> = {
  pending: ['diff', 'charts.yellow'],
  accepted: ['check', 'charts.green'],
  rejected: ['close', 'disabledForeground'],
};

export function hunkItem(node: HunkNode, h: ReviewedHunk, total: number): vscode.TreeItem {
  const item = new vscode.TreeItem(`Hunk ${h.index + 1}/${total}`, vscode.TreeItemCollapsibleState.None);
  item.id = nodeId(node);
  item.description = `${h.status} · ${describeHunk(h)}`;
  const [icon, color] = HUNK_ICONS[h.status];
  item.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
  item.contextValue = `hunk.${h.status}`;
  item.tooltip = [...h.removed.map((l) => `- ${l}`), ...h.added.map((l) => `+ ${l}`)].join('').slice(0, 4000);
  item.command = { command: 'hangar.openChange', title: 'Open Diff', arguments: [node] };
  return item;
}

export function infoItem(node: InfoNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.message, vscode.TreeItemCollapsibleState.None);
  item.id = nodeId(node);
  item.iconPath = new vscode.ThemeIcon('info');
  return item;
}

/** What a row shows, as one string: the tree repaints a row only when this changed since VS Code last got it. */
export function shownAs(item: vscode.TreeItem): string {
  const label = typeof item.label === 'string' ? item.label : item.label?.label;
  const icon = item.iconPath instanceof vscode.ThemeIcon ? [item.iconPath.id, item.iconPath.color?.id] : [];
  const tooltip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : item.tooltip;
  return JSON.stringify([label, item.description, icon, item.contextValue, item.collapsibleState, item.resourceUri?.toString(), tooltip]);
}

function escapeMd(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
