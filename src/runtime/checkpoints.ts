import type { HarnessLog } from '../harness/driver';
import { hasTree } from '../sandbox/repo/checkpoint-git';
import { HarnessState } from '../harness/state';
import type { Sandbox } from '../sandbox/types';
import { newId, type EventOf, type NewEvent, type SessionEvent } from '../wire';
import type { Checkpoint, CheckpointTrigger, RewindResult } from '../wire/checkpoint';
import { invalid, RuntimeError } from './errors';

// Checkpoints and rewinds of one session (issue #13; the sandbox side is Sandbox.checkpoint/restore), by wrapping the
// harness's log:
// - a tool result of a built-in tool that can change files (bash, write, edit) is logged with a checkpoint after it
//   when the files differ from the last checkpoint's: the files are recorded before the batch is written, so the two
//   land together and nothing can come between them;
// - an idle is logged with a checkpoint just before it, of the files as the last checkpoint recorded them (only tools
//   change files, and the last file-changing call was recorded). That needs no wait: waiting before an idle would let a
//   message sent meanwhile land before it and be taken as answered. Before any checkpoint there is none to repeat.
// - a rewind refuses unless the session has settled (idle, nothing waiting or queued, no outcome being worked on; in a
//   multi-agent session every thread so),
//   finds the target's tree (in the sandbox's git dir, or for a fork in its source's: session-fork.ts) before it
//   logs anything, checkpoints the files as they are (`before_rewind`, so a rewind can be undone), logs hangar.rewind (fsynced),
//   restores the files and logs a `rewound` checkpoint. Tool calls wait for it (`gated`). A process killed in between
//   leaves a rewind with no checkpoint after it, which `repair()` (run at every wake) restores again.

/** Built-in tools that can change the sandbox's files. The others read, or run outside it (MCP, custom, web). */
const FILE_TOOLS = new Set(['bash', 'write', 'edit']);

function checkpointEvent(tree: string, trigger: CheckpointTrigger, toolUseId: string | null = null): NewEvent {
  return { type: 'hangar.checkpoint', checkpoint_id: newId('ckpt'), tree, trigger, tool_use_id: toolUseId };
}

/** A notice, not a failed turn (`retrying`, as the harness's other notices): the step has no rewind point. */
function lostRewindPoint(err: unknown): NewEvent {
  const reason = err instanceof Error ? err.message : String(err);
  const message = `No rewind point for this step: recording the sandbox's files failed (${reason}). The session goes on; the next step that changes files records them, and rewind works from there.`;
  return { type: 'session.error', error: { type: 'unknown_error', message, retry_status: { type: 'retrying' } } };
}

export class SessionCheckpoints implements HarnessLog {
  private lastTree: string | null | undefined;
  /** A failed checkpoint was said since the last one that worked. */
  private saidLost = false;
  private rewinding: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly sessionId: string,
    private readonly inner: HarnessLog,
    /** The session's sandbox, provisioned when needed. */
    private readonly sandbox: () => Promise<Sandbox>,
    /** The sandbox if it was provisioned already: before that nothing changed files, so there is nothing to record. */
    private readonly provisioned: () => Sandbox | null,
    private readonly opts: {
      /** Each thread's fold in a multi-agent session (whose threads share the sandbox); absent, the log's one. */
      threadStates?: () => readonly HarnessState[];
      /** For a fork: the git dir of its source's checkpoints, which its log copied (session-fork.ts). */
      forkSource?: () => Promise<string | null>;
    } = {},
  ) {}

  events(): readonly SessionEvent[] {
    return this.inner.events();
  }

  async append(events: NewEvent[]): Promise<SessionEvent[]> {
    const sandbox = this.provisioned();
    const idle = events.findIndex((e) => e.type === 'session.status_idle');
    if (!sandbox) return this.inner.append(events);
    if (idle >= 0) {
      const tree = this.lastTreeOf();
      return this.inner.append(tree ? [...events.slice(0, idle), checkpointEvent(tree, 'idle'), ...events.slice(idle)] : events);
    }
    const toolUseId = this.fileToolResult(events);
    if (!toolUseId) return this.inner.append(events);
    // A failure only costs this step its rewind point: the turn goes on, and the next checkpoint records the files. The
    // user is told once per run of failures (a full disk fails every step), so a missing rewind button is explained.
    let failure: unknown;
    const ref = await sandbox.checkpoint().catch((err: unknown) => ((failure = err), null));
    if (!ref) {
      if (this.saidLost) return this.inner.append(events);
      this.saidLost = true;
      return this.inner.append([...events, lostRewindPoint(failure)]);
    }
    this.saidLost = false;
    if (ref.tree === this.lastTreeOf()) return this.inner.append(events);
    this.lastTree = ref.tree;
    return this.inner.append([...events, checkpointEvent(ref.tree, 'tool_call', toolUseId)]);
  }

  /** The sandbox for a tool call, once a rewind under way has put the files back. */
  async gated(): Promise<Sandbox> {
    await this.rewinding;
    return this.sandbox();
  }

  /** The call of the last result in `events` when it is a built-in tool that can change files. */
  private fileToolResult(events: readonly NewEvent[]): string | null {
    const result = events.findLast((e) => e.type === 'agent.tool_result' && !e._hangar?.server_tool);
    if (result?.type !== 'agent.tool_result') return null;
    const use = this.inner.events().findLast((e) => e.type === 'agent.tool_use' && e.id === result.tool_use_id);
    return use?.type === 'agent.tool_use' && FILE_TOOLS.has(use.name) ? use.id : null;
  }

  private lastTreeOf(): string | null {
    if (this.lastTree === undefined) {
      const last = this.inner.events().findLast((e) => e.type === 'hangar.checkpoint' || e.type === 'hangar.rewind');
      this.lastTree = last?.type === 'hangar.checkpoint' || last?.type === 'hangar.rewind' ? last.tree : null;
    }
    return this.lastTree;
  }

  async rewind(checkpointId: string): Promise<RewindResult> {
    const target = this.inner.events().find((e): e is EventOf<'hangar.checkpoint'> => e.type === 'hangar.checkpoint' && e.checkpoint_id === checkpointId);
    if (!target) {
      throw new RuntimeError(404, 'not_found_error', `Session ${this.sessionId} has no checkpoint ${checkpointId}. List its checkpoints (\`hangar checkpoints ${this.sessionId}\`, or GET /v1/sessions/${this.sessionId}/checkpoints) and pick one of those.`, 'checkpoint_not_found');
    }
    this.refuseUnlessSettled();
    let done = (): void => undefined;
    this.rewinding = new Promise<void>((resolve) => (done = resolve));
    try {
      const sandbox = await this.sandbox();
      const before = await sandbox.checkpoint();
      const from = await this.holder(before.gitDir, target.tree);
      if (!from) {
        throw new RuntimeError(409, 'invalid_request_error', `The files of checkpoint ${checkpointId} of session ${this.sessionId} are no longer stored (it was taken in the session this one was forked from, which was deleted since); pick a later checkpoint.`, 'checkpoint_unavailable');
      }
      // The session may have moved while the files were read: checked again, then logged with no await in between.
      this.refuseUnlessSettled();
      const logged = await this.inner.append([checkpointEvent(before.tree, 'before_rewind'), { type: 'hangar.rewind', checkpoint_id: checkpointId, tree: target.tree }]);
      await this.restore(sandbox, from, target.tree);
      const [beforeEvent, rewindEvent] = logged as [EventOf<'hangar.checkpoint'>, EventOf<'hangar.rewind'>];
      return { type: 'session_rewind', event_id: rewindEvent.id, checkpoint: checkpointOf(this.sessionId, target), before_checkpoint_id: beforeEvent.checkpoint_id };
    } finally {
      done();
    }
  }

  /** Finishes a rewind a killed process left half done: the files restored again, then its `rewound` checkpoint. */
  async repair(): Promise<void> {
    const events = this.inner.events();
    const last = events.findLast((e) => e.type === 'hangar.rewind' || (e.type === 'hangar.checkpoint' && e.trigger !== 'before_rewind'));
    if (last?.type !== 'hangar.rewind') return;
    const sandbox = await this.sandbox();
    const own = (await sandbox.checkpoint()).gitDir;
    const from = (await this.holder(own, last.tree)) ?? own;
    // The killed process's restore may still be running (a container exec outlives the process that started it): the
    // sandbox's restore waits for it (docker/checkpoint.ts), and the files are checked before the rewind is logged done.
    await sandbox.restore({ gitDir: from, tree: last.tree });
    const now = (await sandbox.checkpoint()).tree;
    if (now !== last.tree) {
      throw new RuntimeError(500, 'api_error', `Session ${this.sessionId}'s files could not be restored to checkpoint tree ${last.tree} after a rewind its process was killed during (they are ${now}); something else changed them meanwhile. Rewind the session again.`, 'rewind_incomplete');
    }
    this.lastTree = last.tree;
    await this.inner.append([checkpointEvent(last.tree, 'rewound')]);
  }

  /** The git dir that holds `tree`: the sandbox's own, or a fork's source's (restore() copies the objects in); null: none. */
  private async holder(own: string, tree: string): Promise<string | null> {
    if (await hasTree(own, tree)) return own;
    const source = await this.opts.forkSource?.();
    return source && (await hasTree(source, tree)) ? source : null;
  }

  private async restore(sandbox: Sandbox, gitDir: string, tree: string): Promise<void> {
    await sandbox.restore({ gitDir, tree });
    this.lastTree = tree;
    await this.inner.append([checkpointEvent(tree, 'rewound')]);
  }

  private refuseUnlessSettled(): void {
    const session = new HarnessState();
    for (const e of this.inner.events()) session.apply(e);
    const id = this.sessionId;
    if (session.status === 'terminated') throw invalid(`Session ${id} has ended; it cannot be rewound.`, 'session_terminated');
    const running = () => invalid(`Session ${id} is running. Interrupt it first (\`hangar interrupt ${id}\`, Hangar: Interrupt in VS Code, or a user.interrupt event), then rewind.`, 'session_running');
    if (session.status !== 'idle') throw running();
    // An archived thread has ended for good; every other one must have settled too.
    for (const s of this.opts.threadStates?.() ?? [session]) {
      if (s.status === 'terminated') continue;
      if (s.status !== 'idle' || s.needsModel) throw running();
      if (s.pending.size > 0) {
        throw invalid(`Session ${id} has tool calls waiting for an answer. Answer them, or interrupt the session (\`hangar interrupt ${id}\`), then rewind.`, 'session_waiting');
      }
      if (s.outcome.active) throw invalid(`Session ${id} is working on an outcome. Interrupt it first (\`hangar interrupt ${id}\`), then rewind.`, 'session_running');
    }
  }
}

/** A checkpoint as the API shows it. */
export function checkpointOf(sessionId: string, e: EventOf<'hangar.checkpoint'>): Checkpoint {
  return { type: 'checkpoint', id: e.checkpoint_id, session_id: sessionId, trigger: e.trigger, tool_use_id: e.tool_use_id ?? null, event_id: e.id, tree: e.tree, created_at: e.processed_at ?? '' };
}

/** Every checkpoint of a session's log, oldest first. */
export function listCheckpoints(sessionId: string, events: readonly SessionEvent[]): Checkpoint[] {
  return events.flatMap((e) => (e.type === 'hangar.checkpoint' ? [checkpointOf(sessionId, e)] : []));
}
