import * as z from 'zod';

/** The webview's handle on VS Code (`acquireVsCodeApi()`); tests pass a fake. */
export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

// UI state only (the session itself always comes from the host's `init`). getState returns whatever an older
// build stored, so it is validated like any other input and dropped when it does not fit. The session id is what
// the host's serializer reads after a window reload to know which session a restored panel shows.
const MAX_EXPANDED = 500;
const MAX_DRAFTS = 20;
export const UiState = z.object({
  /** The session this state belongs to; empty until the first `init`. */
  sessionId: z.string().max(128).default(''),
  lane: z.string().default(''),
  draft: z.string().max(100_000).default(''),
  /**
   * Unsent drafts of the other sessions this webview showed (the side-bar chat shows one session after another), so
   * switching back finds the text still there; the last 20, oldest first.
   */
  drafts: z.record(z.string().max(128), z.string().max(100_000)).default({}),
  expanded: z.array(z.string()).max(MAX_EXPANDED).default([]),
  /** Per lane: distance from the bottom in px; 0 follows new events. */
  scroll: z.record(z.string(), z.number().nonnegative()).default({}),
});
export type UiState = z.infer<typeof UiState>;

export class UiStateStore {
  readonly state: UiState;
  private readonly expanded: Set<string>;

  constructor(private readonly api: VsCodeApi) {
    const parsed = UiState.safeParse(api.getState() ?? {});
    this.state = parsed.success ? parsed.data : UiState.parse({});
    this.expanded = new Set(this.state.expanded);
  }

  /**
   * Ties the state to the session the host loaded (and saves it, so a restored panel maps to its session). State
   * saved for another session is dropped, except its draft, which is kept aside and comes back with its session;
   * returns true when the state was another session's (the composer then shows `state.draft`).
   */
  bind(sessionId: string): boolean {
    const foreign = this.state.sessionId !== sessionId && (this.state.sessionId !== '' || this.state.draft !== '');
    if (foreign) {
      const { [sessionId]: draft = '', ...others } = this.state.drafts;
      if (this.state.draft !== '') others[this.state.sessionId] = this.state.draft;
      const kept = Object.entries(others).slice(-MAX_DRAFTS);
      Object.assign(this.state, UiState.parse({}), { draft, drafts: Object.fromEntries(kept) });
      this.expanded.clear();
    }
    this.state.sessionId = sessionId;
    this.save();
    return foreign;
  }

  isExpanded(key: string): boolean {
    return this.expanded.has(key);
  }

  setExpanded(key: string, open: boolean): void {
    if (open === this.expanded.has(key)) return;
    if (open) this.expanded.add(key);
    else this.expanded.delete(key);
    // Oldest first out, so the newest toggles are the ones that survive.
    while (this.expanded.size > MAX_EXPANDED) this.expanded.delete(this.expanded.values().next().value as string);
    this.save();
  }

  update(patch: Partial<Omit<UiState, 'expanded'>>): void {
    Object.assign(this.state, patch);
    this.save();
  }

  private save(): void {
    this.api.setState({ ...this.state, expanded: [...this.expanded] });
  }
}
