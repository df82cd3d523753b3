// Typed errors of the storage layer, so surfaces can map them (e.g. to HTTP 400/404/409) without string matching.

export class LogError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A page cursor that is malformed, or was made for another listing or another order. */
export class InvalidCursorError extends LogError {}

/** Listing options that do not validate (bad limit, bad created_at bound, ...). */
export class InvalidQueryError extends LogError {}

/** An event that cannot be appended: bad envelope, not JSON-serialisable, or too large. */
export class InvalidEventError extends LogError {}

export class DuplicateEventIdError extends LogError {
  constructor(readonly eventId: string) {
    super(`event id ${eventId} is already in the log`);
  }
}

/** Damage that is not a torn tail: repairing it would drop history, so it is reported instead. */
export class LogCorruptError extends LogError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${file}: line ${line} (byte ${offset}): ${reason}`);
  }
}

/** The log stopped accepting appends (fsync/write failure, lost lease); every later append gets this too. */
export class LogFailedError extends LogError {}

export class LogClosedError extends LogError {}

export class LogReadOnlyError extends LogError {}

export class LeaseHeldError extends LogError {
  constructor(
    readonly owner: string,
    readonly pid: number,
    readonly hostname: string,
    readonly expiresAt: string,
  ) {
    super(`session is leased by ${owner} (pid ${pid} on ${hostname}) until ${expiresAt}`);
  }
}

export class LeaseLostError extends LogError {}

/** A lease or lock file on disk that does not parse: never guessed around, since fencing depends on it. */
export class LeaseCorruptError extends LogError {}

export class LockTimeoutError extends LogError {}

export class VersionConflictError extends LogError {
  constructor(
    readonly id: string,
    readonly expected: number,
    readonly actual: number | null,
  ) {
    super(`${id}: expected latest version ${expected}, found ${actual ?? 'none'}`);
  }
}

export class AlreadyExistsError extends LogError {}

/** An id or kind that would not be a single safe path segment (e.g. `../x`). */
export class InvalidIdError extends LogError {}

/** A stored object file that does not parse or does not match its schema. */
export class StoreCorruptError extends LogError {}

export class LogNotFoundError extends LogError {}

/** A value handed to a store that does not match the store's schema. */
export class InvalidValueError extends LogError {}
