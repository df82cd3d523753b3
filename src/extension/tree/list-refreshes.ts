// When a tree may tell VS Code that its list of root rows moved. A refresh of the root makes VS Code's extension host
// forget every row (extHostTreeViews clearAll) until VS Code has fetched the list again, and, in the VS Code we ship
// tests against (1.100), also cancels a fetch of the list it is answering: that fetch then answers nothing, and the
// rows VS Code keeps are ones the host no longer knows, so their repaints and expands are dropped ("No tree item with
// id … found"). Seen under load when a new session was announced just after the runtime's start. So:
// - no refresh is sent while one VS Code has not asked for yet is pending: VS Code gets the list as it is when it asks;
// - none is sent while a fetch of the list is being answered, nor shortly after (the answer still has to cross to
//   VS Code's window): one asked for meanwhile is sent once the answer has settled;
// - a refresh VS Code has not asked for within LIST_ASK_MS is sent again while the view shows, and when it shows again
//   (a hidden view fetches nothing, and a lost refresh must not leave the list stale for good).
// No vscode here: test/unit/extension.

/** How long a refresh of the list waits for VS Code to ask for it before it is sent again (while the view shows). */
export const LIST_ASK_MS = 5_000;
/** How long after answering a fetch of the list a refresh still waits (the answer crossing to VS Code's window). */
export const LIST_SETTLE_MS = 300;

export class ListRefreshes {
  private unasked: ReturnType<typeof setTimeout> | undefined;
  private fetches = 0;
  private settling: ReturnType<typeof setTimeout> | undefined;
  private deferred = false;

  constructor(
    /** Tells VS Code the list moved (fires onDidChangeTreeData for the root). */
    private readonly fire: () => void,
    private readonly visible: () => boolean,
    private readonly wait = { askMs: LIST_ASK_MS, settleMs: LIST_SETTLE_MS },
  ) {}

  /** The list may have moved: VS Code is told unless a refresh it has not asked for is already pending. */
  moved(): void {
    if (!this.unasked) this.send();
  }

  /** A refresh whatever is pending (the user's Refresh, a new runtime). */
  send(): void {
    if (this.fetches > 0 || this.settling) {
      this.deferred = true;
      return;
    }
    clearTimeout(this.unasked);
    this.unasked = setTimeout(() => (this.visible() ? this.send() : undefined), this.wait.askMs);
    this.fire();
  }

  /** The view was shown or hidden: a refresh still unasked is sent again when it shows. */
  shown(visible: boolean): void {
    if (visible && this.unasked) this.send();
  }

  /** VS Code asked for the list: what it gets is read from now on, so a pending refresh is answered. */
  fetchStarted(): void {
    clearTimeout(this.unasked);
    this.unasked = undefined;
    clearTimeout(this.settling);
    this.settling = undefined;
    this.fetches++;
  }

  /** The list was handed back: refreshes asked for meanwhile are sent once it has settled. */
  fetchEnded(): void {
    if (--this.fetches > 0) return;
    this.settling = setTimeout(() => {
      this.settling = undefined;
      if (!this.deferred) return;
      this.deferred = false;
      this.send();
    }, this.wait.settleMs);
  }

  dispose(): void {
    clearTimeout(this.unasked);
    clearTimeout(this.settling);
  }
}
