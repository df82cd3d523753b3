import type { Runtime } from '../../runtime';
import { compareRows, startBestOfWith } from '../../runtime/best-of';
import type { BestOfParams, CompareRow } from '../../wire/best-of';

// Best-of-N behind the RuntimeClient seam: what Hangar: Start Best-of-N… and the compare view ask. In-process the
// runtime's best-of (runtime/best-of.ts); over a detached runtime the same through Hangar's /v1/best_of endpoints
// (remote-best-of.ts), so the attempts run, and are compared, where their sessions live.

export interface RuntimeBestOf {
  /** Creates the attempts' sessions and sends each the task; their ids in attempt order. A refusal throws its sentence. */
  start(params: BestOfParams): Promise<string[]>;
  /** One row per session (1 to 4): changes, tests run, spend. */
  compare(sessionIds: readonly string[]): Promise<CompareRow[]>;
}

export class LocalBestOf implements RuntimeBestOf {
  constructor(private readonly runtime: Runtime) {}

  start(params: BestOfParams): Promise<string[]> {
    return startBestOfWith(this.runtime.agents, this.runtime.sessions, params);
  }

  compare(sessionIds: readonly string[]): Promise<CompareRow[]> {
    return compareRows(this.runtime.sessions, sessionIds);
  }
}
