import * as vscode from 'vscode';
import { naturalSort } from '../../format/natural';
import type { ReviewedFile } from '../../review/session-review';
import type { ReviewManager } from '../review/review-manager';
import type { McpServerState } from '../../runtime';
import type { RuntimeHost } from '../runtime-host';
import type { SessionsModel, SessionView } from '../sessions-model';
import { ReviewBadges } from './review-badges';
import type { FileMetadata } from '../../wire';
import { nodeId, type FileNode, type SessionNode, type SessionTreeNode } from './nodes';
import { ListRefreshes } from './list-refreshes';
import { Refreshing } from './refreshing';
import { fileItem, hunkItem, infoItem, mcpItem, outputItem, sessionItem, shownAs, threadItem, type PendingReview } from './session-items';
import type { ThreadView } from './thread-fold';

// The Sessions view: sessions newest first; under each, its sub-agent threads (when there are any), its MCP servers
// with their connection state, its outputs, and its changed files (natural order); under each text file, its hunks.
// A session shows how many files still wait for review (in its description and as a badge).
// Children are answered at once from what was last read (Refreshing): repainting a row makes VS Code drop its
// children and ask again, and an expand or reveal of a child before the answer finds nothing. What a session shows is
// read again only when something says it moved: its changes on a review announcement (one read serves the count and
// the file rows), its threads, servers and outputs on a session change, once its children were asked for. A read
// then repaints only what it changed: the session when its children or its row did, else the child rows that did.
// Running sessions' rows tick once a second while the view is visible, for their elapsed time: the tick adds the time
// since the session was read instead of reading it again (with 20 sessions running, 20 reads a second on the
// extension host's loop; test/bench/extension-host.bench.ts), and the children VS Code then asks for come from memory.

/** A session's changes as last read: its files by path, in natural order, or why they could not be read. */
type ChangesRead = { files: Map<string, ReviewedFile>; repo: string } | { error: string };

/** What else a session shows under it, by name, in display order. */
interface SessionParts {
  threads: Map<string, ThreadView>;
  mcp: { live: boolean; servers: Map<string, McpServerState> };
  outputs: Map<string, FileMetadata>;
}

export class SessionsTree implements vscode.TreeDataProvider<SessionTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<SessionTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly views = new Map<string, SessionView>();
  /** When each view was read (Date.now()), for the elapsed time of a running session between reads. */
  private readonly readAt = new Map<string, number>();
  /** Every node handed out, by id: VS Code knows elements by identity, so a row is always the same object. */
  private readonly nodes = new Map<string, SessionTreeNode>();
  /** The sessions last listed, and the children last answered per node: what VS Code has under each. */
  private listed: SessionNode[] = [];
  private readonly answered = new Map<SessionTreeNode, SessionTreeNode[]>();
  /** What each row looked like when VS Code last got it (shownAs). */
  private readonly shown = new WeakMap<SessionTreeNode, string>();
  private readonly changes = new Refreshing<string, ChangesRead>((id) => this.readChanges(id), (id) => this.changesRead(id));
  private readonly parts = new Refreshing<string, SessionParts>((id) => this.readParts(id), (id) => this.childrenMoved(id));
  /** Pending review per session; absent until counted (or when the changes cannot be read). */
  private readonly pending = new Map<string, PendingReview>();
  private readonly repos = new Map<string, string>();
  private readonly badges = new ReviewBadges();
  private readonly disposables: vscode.Disposable[] = [];
  private ticker: ReturnType<typeof setInterval> | undefined;
  private visible = false;
  private view: vscode.TreeView<SessionTreeNode> | undefined;
  /** When VS Code may be told the list moved (list-refreshes.ts). */
  private readonly listRefreshes = new ListRefreshes(() => this.changed.fire(undefined), () => this.visible);

  constructor(
    private readonly sessions: SessionsModel,
    private readonly reviews: ReviewManager,
    host: Pick<RuntimeHost, 'onDidStart'>,
  ) {
    this.disposables.push(
      // A new runtime: nothing read from the old one holds (MCP connections, the review's sources).
      host.onDidStart(() => (this.changes.clear(), this.parts.clear(), this.repos.clear())),
      sessions.onDidChange((id) => void this.repaint(id)),
      reviews.onDidChange((id) => this.changes.refresh(id)),
    );
  }

  /** Registers the view; returns it so callers can reveal nodes. */
  register(): vscode.TreeView<SessionTreeNode> {
    const view = vscode.window.createTreeView('hangar.sessions', { treeDataProvider: this, showCollapseAll: true });
    this.view = view;
    this.visible = view.visible;
    this.disposables.push(
      view,
      this.badges.register(),
      view.onDidChangeVisibility((e) => {
        this.visible = e.visible;
        this.tick();
        this.listRefreshes.shown(e.visible);
      }),
    );
    return view;
  }

  /** Shows a row in the view (its session expanded to it), as the node handed out for it. */
  async reveal(node: SessionTreeNode, options?: { expand?: boolean; select?: boolean; focus?: boolean }): Promise<void> {
    await this.view?.reveal(this.canonical(node), options);
  }

  refresh(): void {
    this.listRefreshes.send();
  }

  getTreeItem(node: SessionTreeNode): vscode.TreeItem {
    const item = this.item(node);
    this.shown.set(node, shownAs(item));
    return item;
  }

  getParent(node: SessionTreeNode): SessionTreeNode | undefined {
    if (node.kind === 'session') return undefined;
    if (node.kind === 'hunk') return this.canonical({ kind: 'file', sessionId: node.sessionId, path: node.path });
    return this.canonical({ kind: 'session', sessionId: node.sessionId });
  }

  async getChildren(node?: SessionTreeNode): Promise<SessionTreeNode[]> {
    if (!node) return this.sessionChildren();
    const parent = this.canonical(node);
    if (parent.kind === 'session') {
      const [parts, changes] = await Promise.all([this.parts.get(parent.sessionId), this.changes.get(parent.sessionId)]);
      return this.answer(parent, this.sessionKids(parent.sessionId, parts, changes));
    }
    if (parent.kind === 'file') return this.answer(parent, this.fileKids(parent));
    return [];
  }

  private item(node: SessionTreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'session': {
        const v = this.views.get(node.sessionId);
        return v ? sessionItem(node, this.elapsed(v), this.pending.get(node.sessionId)) : new vscode.TreeItem(node.sessionId);
      }
      case 'file': {
        const f = this.fileOf(node);
        return f ? fileItem(node, f, this.fileUri(node)) : new vscode.TreeItem(node.path);
      }
      case 'hunk': {
        const f = this.fileOf(node);
        const h = f?.hunks.find((x) => x.id === node.hunkId);
        return f && h ? hunkItem(node, h, f.hunks.length) : new vscode.TreeItem('hunk');
      }
      case 'thread': {
        const t = this.parts.known(node.sessionId)?.threads.get(node.threadId);
        return t ? threadItem(node, t) : new vscode.TreeItem(node.threadId);
      }
      case 'mcp': {
        const mcp = this.parts.known(node.sessionId)?.mcp;
        const state = mcp?.servers.get(node.server);
        return mcp && state ? mcpItem(node, state, mcp.live) : new vscode.TreeItem(node.server);
      }
      case 'output': {
        const f = this.parts.known(node.sessionId)?.outputs.get(node.fileId);
        return f ? outputItem(node, f) : new vscode.TreeItem(node.fileId);
      }
      case 'info':
        return infoItem(node);
    }
  }

  private async sessionChildren(): Promise<SessionNode[]> {
    this.listRefreshes.fetchStarted();
    try {
      return await this.listSessions();
    } finally {
      this.listRefreshes.fetchEnded();
    }
  }

  private async listSessions(): Promise<SessionNode[]> {
    let views: SessionView[];
    try {
      views = await this.sessions.list();
    } catch {
      return [];
    }
    this.views.clear();
    this.readAt.clear();
    for (const v of views) this.remember(v);
    for (const v of views) if (!this.pending.has(v.id)) this.changes.ensure(v.id);
    this.tick();
    const listed = views.map((v) => this.canonical<SessionNode>({ kind: 'session', sessionId: v.id }));
    for (const gone of this.listed.filter((n) => !this.views.has(n.sessionId))) {
      this.forget(gone);
      this.changes.drop(gone.sessionId);
      this.parts.drop(gone.sessionId);
    }
    this.listed = listed;
    return listed;
  }

  private sessionKids(sessionId: string, parts: SessionParts, changes: ChangesRead): SessionTreeNode[] {
    const kids: SessionTreeNode[] = [
      ...[...parts.threads.keys()].map((threadId): SessionTreeNode => ({ kind: 'thread', sessionId, threadId })),
      ...[...parts.mcp.servers.keys()].map((server): SessionTreeNode => ({ kind: 'mcp', sessionId, server })),
      ...[...parts.outputs.keys()].map((fileId): SessionTreeNode => ({ kind: 'output', sessionId, fileId })),
    ];
    if ('error' in changes) kids.push({ kind: 'info', sessionId, message: `Changes unavailable: ${changes.error}` });
    else if (changes.files.size === 0) kids.push({ kind: 'info', sessionId, message: 'No changes in the sandbox yet' });
    else for (const path of changes.files.keys()) kids.push({ kind: 'file', sessionId, path });
    return kids.map((k) => this.canonical(k));
  }

  private fileKids(node: FileNode): SessionTreeNode[] {
    const f = this.fileOf(node);
    if (!f?.perHunk) return [];
    return f.hunks.map((h) => this.canonical({ kind: 'hunk', sessionId: node.sessionId, path: node.path, hunkId: h.id }));
  }

  private async readParts(sessionId: string): Promise<SessionParts> {
    const [threads, mcp, outputs] = await Promise.all([
      this.sessions.threads(sessionId).catch(() => []),
      this.sessions.mcp(sessionId).catch(() => undefined),
      this.sessions.outputs(sessionId).catch(() => []),
    ]);
    return {
      threads: new Map(threads.map((t) => [t.id, t])),
      mcp: { live: mcp?.live ?? false, servers: new Map((mcp?.servers ?? []).map((s) => [s.name, s])) },
      outputs: new Map(naturalSort(outputs, (f) => f.filename).map((f) => [f.id, f])),
    };
  }

  private async readChanges(sessionId: string): Promise<ChangesRead> {
    try {
      const files = naturalSort(await this.reviews.files(sessionId), (f) => f.path);
      let repo = this.repos.get(sessionId);
      if (repo === undefined && files.length > 0) this.repos.set(sessionId, (repo = await this.reviews.repo(sessionId).catch(() => '')));
      return { files: new Map(files.map((f) => [f.path, f])), repo: repo ?? '' };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** A read of a session's changes: its count of what waits for review, its row, and its file rows. */
  private changesRead(sessionId: string): void {
    const read = this.changes.known(sessionId);
    if (!read || 'error' in read) this.pending.delete(sessionId);
    else {
      const open = [...read.files.values()].map((f) => f.hunks.filter((h) => h.status === 'pending').length).filter((n) => n > 0);
      this.pending.set(sessionId, { files: open.length, hunks: open.reduce((a, b) => a + b, 0) });
    }
    this.badges.set(sessionId, this.pending.get(sessionId));
    const node = this.sessionNode(sessionId);
    if (node) this.repaintIfChanged(node);
    this.childrenMoved(sessionId);
  }

  /**
   * Something under a session was read again: a session whose children VS Code has is repainted when they are not
   * the same rows any more; otherwise only the rows (and hunk rows) that now look different are.
   */
  private childrenMoved(sessionId: string): void {
    const node = this.sessionNode(sessionId);
    const before = node && this.answered.get(node);
    const parts = this.parts.known(sessionId);
    const changes = this.changes.known(sessionId);
    if (!node || !before || !parts || !changes) return;
    const kids = this.sessionKids(sessionId, parts, changes);
    if (!sameRows(before, kids)) return this.changed.fire(node);
    for (const kid of kids) {
      this.repaintIfChanged(kid);
      const hunks = kid.kind === 'file' ? this.answered.get(kid) : undefined;
      if (kid.kind !== 'file' || !hunks) continue;
      const now = this.fileKids(kid);
      if (!sameRows(hunks, now)) this.changed.fire(kid);
      else now.forEach((h) => this.repaintIfChanged(h));
    }
  }

  /** Repaints a row VS Code has when it would now look different. */
  private repaintIfChanged(node: SessionTreeNode): void {
    const was = this.shown.get(node);
    if (was !== undefined && was !== shownAs(this.item(node))) this.changed.fire(node);
  }

  /** Records what VS Code now has under a node; the rows that left are forgotten with everything under them. */
  private answer(parent: SessionTreeNode, kids: SessionTreeNode[]): SessionTreeNode[] {
    const now = new Set(kids);
    for (const old of this.answered.get(parent) ?? []) if (!now.has(old)) this.forget(old);
    this.answered.set(parent, kids);
    return kids;
  }

  private forget(node: SessionTreeNode): void {
    this.nodes.delete(nodeId(node));
    for (const kid of this.answered.get(node) ?? []) this.forget(kid);
    this.answered.delete(node);
  }

  /** The node handed out for this row (the given one if none was). */
  private canonical<N extends SessionTreeNode>(node: N): N {
    const id = nodeId(node);
    const known = this.nodes.get(id);
    if (known) return known as N;
    this.nodes.set(id, node);
    return node;
  }

  private sessionNode(sessionId: string): SessionNode | undefined {
    return this.nodes.get(nodeId({ kind: 'session', sessionId })) as SessionNode | undefined;
  }

  private fileOf(node: { sessionId: string; path: string }): ReviewedFile | undefined {
    const read = this.changes.known(node.sessionId);
    return read && 'files' in read ? read.files.get(node.path) : undefined;
  }

  private fileUri(node: FileNode): vscode.Uri {
    const read = this.changes.known(node.sessionId);
    const repo = read && 'repo' in read ? read.repo : '';
    return repo ? vscode.Uri.joinPath(vscode.Uri.file(repo), node.path) : vscode.Uri.file(`/${node.path}`);
  }

  /** Repaints running sessions every second while the view is visible, for their elapsed time. */
  private tick(): void {
    const anyRunning = [...this.views.values()].some((v) => v.status === 'running');
    if (this.visible && anyRunning && !this.ticker) {
      this.ticker = setInterval(() => {
        for (const v of this.views.values()) {
          const node = this.sessionNode(v.id);
          if (v.status === 'running' && node) this.repaintIfChanged(node);
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

  /**
   * A session changed: its row is re-read and repainted if it looks different, and what is under it is read again
   * once VS Code has asked for it. Unknown ids repaint the list.
   */
  private async repaint(sessionId: string | undefined): Promise<void> {
    const node = sessionId ? this.sessionNode(sessionId) : undefined;
    const v = node ? await this.sessions.view(node.sessionId).catch(() => undefined) : undefined;
    if (!node || !v) return this.listRefreshes.moved();
    this.remember(v);
    this.repaintIfChanged(node);
    if (this.answered.has(node)) this.parts.refresh(node.sessionId);
    this.tick();
  }

  /** Snapshot for tests and the status bar: the latest view of each listed session. */
  snapshot(): SessionView[] {
    return [...this.views.values()];
  }

  dispose(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.listRefreshes.dispose();
    this.disposables.forEach((d) => d.dispose());
    this.changed.dispose();
  }
}

/** The same rows in the same order (nodes are canonical, so identity is the row). */
function sameRows(a: readonly SessionTreeNode[], b: readonly SessionTreeNode[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}
