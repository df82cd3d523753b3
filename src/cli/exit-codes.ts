// Exit codes scripts can rely on.
export const EXIT = {
  ok: 0,
  error: 1,
  /** Bad usage or input: unknown command or option, missing argument, unknown session id, no API key. */
  usage: 2,
  /** The turn ended with retries exhausted or the session terminated. */
  sessionFailed: 3,
  /** A tool call waits for approval and nobody could answer it (non-interactive, no --yes). */
  needsAction: 4,
  /** `apply` refused: the repository changed under the session. */
  conflict: 5,
  /** The session's budget is spent; its turn waits for `hangar budget ID <dollars>`. */
  budgetReached: 6,
  /** `run --rubric`: the session finished, but its outcome was not satisfied (evaluations ran out, or the grader failed). */
  outcomeNotMet: 7,
  interrupted: 130,
  /** Whoever read the output went away (`hangar events ID | head -1`): 128 + SIGPIPE, like other Unix tools. */
  brokenPipe: 141,
  /** SIGTERM. */
  terminated: 143,
} as const;
