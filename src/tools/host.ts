import type { ToolOutcome } from '../wire/tool-outcome';
import type { ToolOutputSnapshot } from '../wire/tool-output';

// A ToolHost runs the built-in tools (bash, read, write, edit, glob, grep) against one workspace directory.
// The local sandbox runs it in-process; the container's tool server runs the very same code inside the container,
// so both providers have identical semantics.
export interface ToolHostOptions {
  /** The workspace root; file tools are confined to it (symlink-aware). */
  root: string;
  /** Extra environment for bash (never secrets). */
  env?: Record<string, string>;
  /** Default bash timeout when the call gives none. */
  defaultTimeoutMs?: number;
  /** Cap on text returned to the model per call; the rest is cut with a notice. */
  maxOutputChars?: number;
  /**
   * Private directory outside `root` where the shell keeps its saved cwd/env; a new host given the same directory
   * resumes there. Default: a fresh temp dir, removed on dispose.
   */
  stateDir?: string;
  /**
   * Directories outside `root` that the read tool may read too, by absolute path (a session's skills at /mnt/skills).
   * Write, edit, glob and grep stay confined to `root`.
   */
  readOnlyRoots?: readonly string[];
}

export interface ToolHost {
  /**
   * `onOutput` gets the live end of a running command's output (bash), about 10 times a second at most. `shell` names
   * the persistent shell bash runs in: absent, the host's main one; any other name (a sub-agent thread's id) gets a
   * shell of its own over the same files, started at its first command, so its commands run beside the others'.
   */
  run(name: string, input: unknown, signal?: AbortSignal, onOutput?: (snapshot: ToolOutputSnapshot) => void, shell?: string): Promise<ToolOutcome>;
  /** Kills a named shell (its process group) and forgets its saved cwd/env; a later command there starts fresh. */
  closeShell(shell: string): Promise<void>;
  dispose(): Promise<void>;
}
