import * as vscode from 'vscode';
import { safeJoin, type ReadSide } from '../../review/apply';
import { SessionReview, type ReviewedFile } from '../../review/session-review';
import type { WorkspaceChanges } from '../../sandbox/types';
import { sessionWorkspacePath } from '../../wire/session-repository';
import { IdBatch } from '../id-batch';
import type { RuntimeHost } from '../runtime-host';
import type { SessionsModel } from '../sessions-model';

// One SessionReview per session (decisions persisted in the session directory), plus where each changed file lives
// in the user's workspace. Announces when a session's changes or decisions may have changed, so the tree, the
// sandbox documents and the CodeLenses refresh.

// A rewind's files are back once its `rewound` checkpoint is logged: review follows them then.
// A tool call logs two of them (its result, then its checkpoint), and each announcement makes the tree read the
// session's changes (git runs in the sandbox): announcements are gathered for MOVED_COALESCE_MS, so a running session
// is diffed at most twice a second (with 20 running, those diffs were most of the extension host's git work;
// test/bench/extension-host.bench.ts). The cached change list is dropped at once, so a reader never gets the list
// from before an event.
const MOVED_COALESCE_MS = 500;
const FILE_TOUCHING = new Set(['agent.tool_result', 'agent.mcp_tool_result', 'session.status_idle', 'hangar.checkpoint']);

export class ReviewManager implements vscode.Disposable {
  private readonly reviews = new Map<string, Promise<SessionReview>>();
  /** The sandbox's change list per session (a git diff for local sandboxes), until the agent touches files again. */
  private readonly changes = new Map<string, Promise<WorkspaceChanges>>();
  private readonly changed = new vscode.EventEmitter<string>();
  /** A session's changed files or review decisions changed. */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  /** Sessions whose changes moved since the last announcement. */
  private readonly moved = new IdBatch(MOVED_COALESCE_MS, (id) => this.changed.fire(id));

  constructor(
    private readonly host: RuntimeHost,
    sessions: SessionsModel,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      host.onDidStart(() => {
        this.reviews.clear();
        this.changes.clear();
      }),
      sessions.onEvent(({ sessionId, event }) => FILE_TOUCHING.has(event.type) && this.changesMoved(sessionId)),
      // A listed session's log grew before its events were followed: some of them may have touched files.
      sessions.onDidGrow((sessionId) => this.changesMoved(sessionId)),
    );
  }

  private changesMoved(sessionId: string): void {
    this.changes.delete(sessionId);
    this.moved.add(sessionId);
  }

  /** Reads a file of the session's sandbox, at its baseline or now. */
  reader(sessionId: string): ReadSide {
    const client = this.host.client;
    return (file, side) => client.readFile(sessionId, file, side);
  }

  review(sessionId: string): Promise<SessionReview> {
    let r = this.reviews.get(sessionId);
    if (!r) {
      const client = this.host.client;
      const changes = () => {
        let c = this.changes.get(sessionId);
        if (!c) {
          c = client.changes(sessionId);
          c.catch(() => this.changes.delete(sessionId));
          this.changes.set(sessionId, c);
        }
        return c;
      };
      r = SessionReview.open(this.host.sessionDir(sessionId), { changes, read: this.reader(sessionId) });
      r.then((rv) => rv.problem && this.log.warn(rv.problem)).catch(() => this.reviews.delete(sessionId));
      this.reviews.set(sessionId, r);
    }
    return r;
  }

  async files(sessionId: string): Promise<ReviewedFile[]> {
    return (await this.review(sessionId)).files();
  }

  async file(sessionId: string, path: string): Promise<ReviewedFile> {
    const f = await (await this.review(sessionId)).file(path);
    if (!f) throw new Error(`The session no longer changes ${path}.`);
    return f;
  }

  /** The repository the session works on a copy of, on this machine (a workspace uploaded to a runtime elsewhere: here). */
  async repo(sessionId: string): Promise<string> {
    const session = await this.host.client.retrieveSession(sessionId);
    const repo = sessionWorkspacePath(session.resources);
    if (!repo) throw new Error(`Session ${sessionId} has no repository to apply changes to.`);
    return repo;
  }

  async workspaceUri(sessionId: string, path: string): Promise<vscode.Uri> {
    return vscode.Uri.file(safeJoin(await this.repo(sessionId), path));
  }

  /** Tells every view that the session's review changed (after decisions or workspace edits). */
  touch(sessionId: string): void {
    this.changed.fire(sessionId);
  }

  forget(sessionId: string): void {
    this.reviews.delete(sessionId);
    this.changes.delete(sessionId);
    this.changed.fire(sessionId);
  }

  dispose(): void {
    this.moved.dispose();
    this.disposables.forEach((d) => d.dispose());
    this.changed.dispose();
  }
}
