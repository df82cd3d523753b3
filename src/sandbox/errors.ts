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
