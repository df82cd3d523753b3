import * as vscode from 'vscode';
import { naturalSort } from '../../format/natural';
import type { ReviewedFile } from '../../review/session-review';
import type { ReviewManager } from '../review/review-manager';
import type { McpServerState } from '../../runtime';
import type { SessionsModel, SessionView } from '../sessions-model';
import { ReviewBadges } from './review-badges';
import type { FileMetadata } from '../../wire';
import type { FileNode, HunkNode, McpNode, OutputNode, SessionNode, SessionTreeNode, ThreadNode } from './nodes';
import { fileItem, hunkItem, mcpItem, outputItem, sessionItem, threadItem, type PendingReview } from './session-items';
import type { ThreadView } from './thread-fold';

// The Sessions view: sessions newest first; under each, its sub-agent threads (when there are any), its MCP servers
// with their connection state, and its changed files (natural order); under each text file, its hunks. A session
// shows how many files still wait for review (in its description and as a badge), counted in the background when
// the session is listed and again whenever its changes or decisions change.
// Repainted from session events (SessionsModel) and review changes; running sessions tick once a second while the
// view is visible, for their elapsed time: the tick adds the time since the session was read instead of reading it
// again (with 20 sessions running, 20 reads a second on the extension host's loop; test/bench/extension-host.bench.ts).

export class SessionsTree implements vscode.TreeDataProvider<SessionTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<SessionTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly views = new Map<string, SessionView>();
  /** When each view was read (Date.now()), for the elapsed time of a running session between reads. */
  private readonly readAt = new Map<string, number>();
  private readonly sessionNodes = new Map<string, SessionNode>();
  /** The file nodes handed to VS Code, reused so a review change can repaint just them (see reviewChanged). */
  private readonly fileNodes = new Map<string, FileNode>();
  private readonly files = new Map<string, ReviewedFile>();
  private readonly threads = new Map<string, ThreadView>();
  private readonly mcp = new Map<string, { state: McpServerState; live: boolean }>();
  private readonly outputs = new Map<string, FileMetadata>();
  private readonly repos = new Map<string, string>();
  /** Pending review per session; absent until counted (or when the changes cannot be read). */
  private readonly pending = new Map<string, PendingReview>();
  private readonly counting = new Set<string>();
  private readonly recount = new Set<string>();
  private readonly badges = new ReviewBadges();
  private readonly disposables: vscode.Disposable[] = [];
  private ticker: ReturnType<typeof setInterval> | undefined;
  private visible = false;

  constructor(
    private readonly sessions: SessionsModel,
    private readonly reviews: ReviewManager,
  ) {
    this.disposables.push(
      sessions.onDidChange((id) => void this.repaint(id)),
      reviews.onDidChange((id) => {
        void this.reviewChanged(id);
        void this.countPending(id);
      }),
    );
  }

  /** Registers the view; returns it so callers can reveal nodes. */
  register(): vscode.TreeView<SessionTreeNode> {
    const view = vscode.window.createTreeView('hangar.sessions', { treeDataProvider: this, showCollapseAll: true });
    this.visible = view.visible;
    this.disposables.push(view, this.badges.register(), view.onDidChangeVisibility((e) => ((this.visible = e.visible), this.tick())));
    return view;
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: SessionTreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'session': {
        const v = this.views.get(node.sessionId);
        return v ? sessionItem(node, this.elapsed(v), this.pending.get(node.sessionId)) : new vscode.TreeItem(node.sessionId);
      }
      case 'file': {
        const f = this.files.get(childKey(node.sessionId, node.path));
        return f ? fileItem(node, f, this.fileUri(node)) : new vscode.TreeItem(node.path);
      }
      case 'hunk': {
        const f = this.files.get(childKey(node.sessionId, node.path));
        const h = f?.hunks.find((x) => x.id === node.hunkId);
        return f && h ? hunkItem(node, h, f.hunks.length) : new vscode.TreeItem('hunk');
      }
      case 'thread': {
        const t = this.threads.get(childKey(node.sessionId, node.threadId));
        return t ? threadItem(node, t) : new vscode.TreeItem(node.threadId);
      }
      case 'mcp': {
        const m = this.mcp.get(childKey(node.sessionId, node.server));
        return m ? mcpItem(node, m.state, m.live) : new vscode.TreeItem(node.server);
      }
      case 'output': {
        const f = this.outputs.get(childKey(node.sessionId, node.fileId));
        return f ? outputItem(node, f) : new vscode.TreeItem(node.fileId);
      }
      case 'info': {
        const item = new vscode.TreeItem(node.message);
        item.iconPath = new vscode.ThemeIcon('info');
        return item;
      }
    }
  }

  async getChildren(node?: SessionTreeNode): Promise<SessionTreeNode[]> {
    if (!node) return this.sessionChildren();
    if (node.kind === 'session') {
      const [threads, servers, outputs, files] = await Promise.all([this.threadChildren(node.sessionId), this.mcpChildren(node.sessionId), this.outputChildren(node.sessionId), this.fileChildren(node.sessionId)]);
      return [...threads, ...servers, ...outputs, ...files];
    }
    if (node.kind === 'file') {
      const f = this.files.get(childKey(node.sessionId, node.path));
      if (!f?.perHunk) return [];
      return f.hunks.map((h): HunkNode => ({ kind: 'hunk', sessionId: node.sessionId, path: node.path, hunkId: h.id }));
    }
    return [];
  }

  private async sessionChildren(): Promise<SessionNode[]> {
    let views: SessionView[];
    try {
      views = await this.sessions.list();
    } catch {
      return [];
    }
    this.views.clear();
    this.readAt.clear();
    for (const v of views) this.remember(v);
    for (const [key, node] of this.fileNodes) if (!this.views.has(node.sessionId)) this.fileNodes.delete(key);
    for (const v of views) if (!this.pending.has(v.id)) void this.countPending(v.id);
    this.tick();
    return views.map((v) => {
      const node = this.sessionNodes.get(v.id) ?? { kind: 'session', sessionId: v.id };
      this.sessionNodes.set(v.id, node);
      return node;
    });
  }

  private async threadChildren(sessionId: string): Promise<ThreadNode[]> {
    const threads = await this.sessions.threads(sessionId).catch(() => []);
    for (const t of threads) this.threads.set(childKey(sessionId, t.id), t);
    return threads.map((t) => ({ kind: 'thread', sessionId, threadId: t.id }));
  }

  private async mcpChildren(sessionId: string): Promise<McpNode[]> {
    const view = await this.sessions.mcp(sessionId).catch(() => undefined);
    if (!view) return [];
    for (const state of view.servers) this.mcp.set(childKey(sessionId, state.name), { state, live: view.live });
    return view.servers.map((state) => ({ kind: 'mcp', sessionId, server: state.name }));
  }

  /** The files its agent left in /mnt/session/outputs/, captured after each idle (the tree repaints on the idle). */
  private async outputChildren(sessionId: string): Promise<OutputNode[]> {
    const page = await this.sessions.outputs(sessionId).catch(() => []);
    for (const f of page) this.outputs.set(childKey(sessionId, f.id), f);
    return naturalSort(page, (f) => f.filename).map((f) => ({ kind: 'output', sessionId, fileId: f.id }));
  }

  private async fileChildren(sessionId: string): Promise<SessionTreeNode[]> {
    const v = await this.sessions.view(sessionId).catch(() => undefined);
    if (v) this.remember(v);
    let files: ReviewedFile[];
    try {
      files = await this.reviews.files(sessionId);
    } catch (err) {
      return [{ kind: 'info', sessionId, message: `Changes unavailable: ${err instanceof Error ? err.message : String(err)}` }];
    }
    if (files.length === 0) return [{ kind: 'info', sessionId, message: 'No changes in the sandbox yet' }];
    this.repos.set(sessionId, await this.reviews.repo(sessionId).catch(() => ''));
    for (const f of files) this.files.set(childKey(sessionId, f.path), f);
    return naturalSort(files, (f) => f.path).map((f) => {
      const key = childKey(sessionId, f.path);
      const node = this.fileNodes.get(key) ?? { kind: 'file', sessionId, path: f.path };
      this.fileNodes.set(key, node);
      return node;
    });
  }

  /**
   * A hunk decided, or the session's changes re-read: when the same files are listed, only their rows (and their hunk
   * rows) are repainted. Repainting the session would re-create every row under it, and VS Code drops an expand or
   * a child refresh that races that ("No tree item with id … found"), leaving hunk rows stale or empty.
   */
  private async reviewChanged(sessionId: string): Promise<void> {
    const shown = [...this.fileNodes.values()].filter((n) => n.sessionId === sessionId);
    let files: ReviewedFile[];
    try {
      files = await this.reviews.files(sessionId);
    } catch {
      return this.repaint(sessionId);
    }
    const same = files.length === shown.length && files.every((f) => this.fileNodes.has(childKey(sessionId, f.path)));
    if (!same) return this.repaint(sessionId);
    for (const f of files) this.files.set(childKey(sessionId, f.path), f);
    for (const node of shown) this.changed.fire(node);
  }

  private fileUri(node: FileNode): vscode.Uri {
    const repo = this.repos.get(node.sessionId);
    return repo ? vscode.Uri.joinPath(vscode.Uri.file(repo), node.path) : vscode.Uri.file(`/${node.path}`);
  }

  /** Repaints running sessions every second while the view is visible, for their elapsed time. */
  private tick(): void {
    const anyRunning = [...this.views.values()].some((v) => v.status === 'running');
    if (this.visible && anyRunning && !this.ticker) {
      this.ticker = setInterval(() => {
        for (const v of this.views.values()) {
          const node = this.sessionNodes.get(v.id);
          if (v.status === 'running' && node) this.changed.fire(node);
        }
      }, 1000);
    } else if ((!this.visible || !anyRunning) && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  private remember(v: SessionView): void {
    this.views.set(v.id, v);
    this.readAt.set(v.id, Date.now());
  }

  /** A running session's view with the time it has run since it was read. */
  private elapsed(v: SessionView): SessionView {
    const since = v.status === 'running' ? Date.now() - (this.readAt.get(v.id) ?? Date.now()) : 0;
    return since > 0 ? { ...v, activeSeconds: v.activeSeconds + since / 1000 } : v;
  }

  /** Re-reads one session and repaints its node (and, if expanded, its files); unknown ids repaint the list. */
  private async repaint(sessionId: string | undefined): Promise<void> {
    const node = sessionId ? this.sessionNodes.get(sessionId) : undefined;
    const v = node ? await this.sessions.view(node.sessionId).catch(() => undefined) : undefined;
    if (!node || !v) return this.changed.fire(undefined);
    this.remember(v);
    this.changed.fire(node);
    this.tick();
  }

  /**
   * Recounts a session's pending review; repaints the session only when the count changed (reading a Docker sandbox's
   * files takes a while, and every repaint re-creates the session's rows, which drops an expand in flight).
   */
  private async countPending(sessionId: string): Promise<void> {
    // A change while counting asks for one more count, so the last change is always counted.
    if (this.counting.has(sessionId)) return void this.recount.add(sessionId);
    this.counting.add(sessionId);
    const before = this.pending.get(sessionId);
    do {
      this.recount.delete(sessionId);
      try {
        const open = (await this.reviews.files(sessionId)).map((f) => f.hunks.filter((h) => h.status === 'pending').length).filter((n) => n > 0);
        this.pending.set(sessionId, { files: open.length, hunks: open.reduce((a, b) => a + b, 0) });
      } catch {
        this.pending.delete(sessionId);
      }
    } while (this.recount.has(sessionId));
    this.badges.set(sessionId, this.pending.get(sessionId));
    this.counting.delete(sessionId);
    const after = this.pending.get(sessionId);
    if (before?.files !== after?.files || before?.hunks !== after?.hunks) await this.repaint(sessionId);
  }

  /** Snapshot for tests and the status bar: the latest view of each listed session. */
  snapshot(): SessionView[] {
    return [...this.views.values()];
  }

  dispose(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.disposables.forEach((d) => d.dispose());
    this.changed.dispose();
  }
}

/** Key of a session's child (a file path, a thread id, an MCP server name) in the item caches. */
function childKey(sessionId: string, name: string): string {
  return `${sessionId}\0${name}`;
}
