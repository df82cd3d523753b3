// Exit codes scripts can rely on.
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  /** The turn ended with retries exhausted or the session terminated. */
  sessionFailed: 3,
  /** A tool call waits for approval and nobody could answer it (non-interactive, no --yes). */
  needsAction: 4,
  /** `apply` refused: the repository changed under the session. */
  conflict: 5,
  interrupted: 130,
} as const;
