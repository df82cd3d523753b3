import * as vscode from 'vscode';
import type { Runtime } from '../runtime';
import type { SessionEvent, SessionStatus, StopReason } from '../wire';
import type { RuntimeHost } from './runtime-host';

// What the sidebar and the status bar show about sessions, folded from their logs (DESIGN.md invariant 1). One
// subscription per session tails its log; changes are announced per session, coalesced so a burst of events
// repaints once.

export interface SessionView {
  id: string;
  title: string;
  status: SessionStatus;
  stopReason: StopReason | null;
  needsAction: boolean;
  activeSeconds: number;
  costCents: number;
  createdAt: string;
  agentName: string;
  repo: string | null;
  lastError: string | null;
}

const COALESCE_MS = 150;

export class SessionsModel implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<string | undefined>();
  private readonly eventSeen = new vscode.EventEmitter<{ sessionId: string; event: SessionEvent }>();
  /** A session changed (its id), or the list itself (undefined). */
  readonly onDidChange = this.changed.event;
  /** Every event appended to a tracked session's log. */
  readonly onEvent = this.eventSeen.event;
  private readonly subscriptions = new Map<string, Promise<() => void>>();
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();
  private views: SessionView[] = [];
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly host: RuntimeHost) {
    this.disposables.push(host.onDidStart(() => this.reset()));
  }

  /** The sessions of this storage, newest first, each tracked from now on. */
  async list(): Promise<SessionView[]> {
    const runtime = this.host.runtime;
    const page = await runtime.sessions.list({ limit: 200, order: 'desc' });
    const views = await Promise.all(page.data.map((s) => this.viewOf(runtime, s.id)));
    for (const v of views) this.track(runtime, v.id);
    this.views = views;
    return views;
  }

  /** The views of the last listing (cheap; for the status bar). */
  cached(): readonly SessionView[] {
    return this.views;
  }

  async view(id: string): Promise<SessionView> {
    return this.viewOf(this.host.runtime, id);
  }

  /** Starts tracking a session created just now and announces the new list. */
  added(id: string): void {
    this.track(this.host.runtime, id);
    this.changed.fire(undefined);
  }

  removed(id: string): void {
    void this.subscriptions.get(id)?.then((off) => off());
    this.subscriptions.delete(id);
    this.changed.fire(undefined);
  }

  private async viewOf(runtime: Runtime, id: string): Promise<SessionView> {
    const record = await runtime.sessions.record(id);
    const [session, summary] = await Promise.all([runtime.sessions.retrieve(id), runtime.sessions.summary(record)]);
    return {
      id,
      title: record.title ?? id,
      status: session.status,
      stopReason: summary.stopReason,
      needsAction: session.status === 'idle' && summary.stopReason?.type === 'requires_action',
      activeSeconds: session.stats.active_seconds ?? 0,
      costCents: summary.costCents,
      createdAt: record.created_at,
      agentName: record.agent.name,
      repo: record.resources[0]?.path ?? null,
      lastError: summary.lastError,
    };
  }

  private track(runtime: Runtime, id: string): void {
    if (this.subscriptions.has(id)) return;
    const sub = runtime.sessions.eventCount(id).then((from) =>
      runtime.sessions.subscribe(id, from, (event) => {
        this.eventSeen.fire({ sessionId: id, event });
        this.announce(id);
      }),
    );
    sub.catch(() => this.subscriptions.delete(id));
    this.subscriptions.set(id, sub);
  }

  private announce(id: string): void {
    if (this.pending.has(id)) return;
    this.pending.set(
      id,
      setTimeout(() => {
        this.pending.delete(id);
        this.changed.fire(id);
      }, COALESCE_MS),
    );
  }

  private reset(): void {
    for (const sub of this.subscriptions.values()) void sub.then((off) => off(), () => undefined);
    this.subscriptions.clear();
    this.changed.fire(undefined);
  }

  dispose(): void {
    this.reset();
    for (const t of this.pending.values()) clearTimeout(t);
    this.disposables.forEach((d) => d.dispose());
    this.changed.dispose();
    this.eventSeen.dispose();
  }
}
