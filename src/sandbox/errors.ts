/**
 * A sandbox whose files cannot be trusted and that cannot be repaired on its own: no tool can run in it until the
 * user acts. The message names what is damaged and the fix. The harness ends the turn on it (a retry cannot help).
 */
export class SandboxDamagedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxDamagedError';
  }
}

/**
 * The disk that holds the sandbox's files is full: nothing can be written there until the user frees space. The
 * message names whose disk it is and how to free it; a surface answers it as the user's to fix, not as its own fault.
 */
export class SandboxOutOfSpaceError extends SandboxDamagedError {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxOutOfSpaceError';
  }
}

/**
 * Setting the sandbox up failed in a way only the user can fix (a package that does not exist, a devcontainer whose
 * build or lifecycle command fails): the session ends its turn with the error and its log, and the failed setup is
 * not run again for the same session (it would fail the same way, and its side effects would repeat).
 */
export class SandboxSetupError extends SandboxDamagedError {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxSetupError';
  }
}
