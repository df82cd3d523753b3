import type { ApiErrorType } from '../wire';

// Errors every surface maps to its own language: the HTTP API to status + envelope, the CLI to exit codes,
// VS Code to notifications. The message always says what to do about it.
export class RuntimeError extends Error {
  constructor(
    readonly status: number,
    readonly type: ApiErrorType,
    message: string,
    readonly code?: string,
    /** Fields of the error object beyond type and message (memory_path_conflict_error names the memory in the way). */
    readonly fields?: { conflicting_memory_id?: string; conflicting_path?: string },
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

export const notFound = (what: string, id: string, code?: string) =>
  new RuntimeError(404, 'not_found_error', `${what} ${id} does not exist. List them to see valid ids.`, code);
export const invalid = (message: string, code?: string) => new RuntimeError(400, 'invalid_request_error', message, code);
export const conflict = (message: string, code?: string) => new RuntimeError(409, 'invalid_request_error', message, code);
/** Stored files of one object that cannot be read; the message names the file and the fix. */
export const damaged = (message: string, code = 'damaged') => new RuntimeError(500, 'api_error', message, code);
