import * as z from 'zod';
import { ToolOutcome } from '../../wire/tool-outcome';
import { ToolOutputSnapshot } from '../../wire/tool-output';

// The tool server's wire: one JSON object per line each way over the attached stdin/stdout of a `docker exec`.
// Calls are multiplexed by id; the server answers every `run` exactly once (a cancelled call too, with its outcome).

export const ToolServerConfig = z.object({
  root: z.string().min(1),
  stateDir: z.string().min(1),
  env: z.record(z.string(), z.string()).default({}),
  defaultTimeoutMs: z.number().int().positive().optional(),
  maxOutputChars: z.number().int().positive().optional(),
  /** Memory limit in MB, named in the note added when the OOM killer struck during a call. */
  memoryMb: z.number().positive().optional(),
  /** Directories the read tool may read besides the workspace (ToolHostOptions.readOnlyRoots). */
  readOnlyRoots: z.array(z.string().min(1)).optional(),
});
export type ToolServerConfig = z.infer<typeof ToolServerConfig>;

/** A file of a checkpoint: path, git mode, blob id. */
export const WatchEntry = z.tuple([z.string().min(1), z.string(), z.string()]);
export type WatchEntry = z.infer<typeof WatchEntry>;

/** A path that differs from the last checkpoint: its git mode, blob id and bytes (base64), or mode null: gone. */
export const WatchChange = z.object({ path: z.string().min(1), mode: z.string().nullable(), sha: z.string().optional(), content: z.string().optional() });
export type WatchChange = z.infer<typeof WatchChange>;

/** The watch's answer (checkpoint-watch.ts): the period it starts (null when unsure), and why it is unsure. */
export const WatchResult = z.object({ epoch: z.string().nullable(), changes: z.array(WatchChange), unsure: z.string().optional() });
export type WatchResult = z.infer<typeof WatchResult>;

export const ToolServerRequest = z.discriminatedUnion('op', [
  /** `shell`: the named shell bash runs in (ToolHost.run); absent, the main one. */
  z.object({ op: z.literal('run'), id: z.number().int(), name: z.string(), input: z.unknown(), shell: z.string().optional() }),
  /** Ends a named shell; answered by a `result` once it is gone. */
  z.object({ op: z.literal('close_shell'), id: z.number().int(), shell: z.string() }),
  z.object({ op: z.literal('cancel'), id: z.number().int() }),
  z.object({ op: z.literal('ping'), id: z.number().int() }),
  /**
   * Runs a program (no shell, no tool host) and answers with an `exec_result`: Hangar's own bookkeeping in the
   * sandbox (copy mode's scans, a checkpoint's restore), which an engine exec would cost far more. Bytes as base64.
   */
  z.object({ op: z.literal('exec'), id: z.number().int(), argv: z.array(z.string()).min(1), stdin: z.string(), cwd: z.string().optional(), env: z.record(z.string(), z.string()).default({}) }),
  /**
   * Copy-mode checkpoints (checkpoint-watch.ts), each answered by a `watch_result`: `watch_reset` starts watching the
   * workspace (`exclude`: paths that are binds), `watch_base` hands over what the full scan that followed found,
   * `watch_changes` asks what changed since the period `epoch` began.
   */
  z.object({ op: z.literal('watch_reset'), id: z.number().int(), exclude: z.array(z.string()) }),
  z.object({ op: z.literal('watch_base'), id: z.number().int(), epoch: z.string(), entries: z.array(WatchEntry) }),
  z.object({ op: z.literal('watch_changes'), id: z.number().int(), epoch: z.string() }),
]);
export type ToolServerRequest = z.infer<typeof ToolServerRequest>;

export const ToolServerMessage = z.discriminatedUnion('op', [
  z.object({ op: z.literal('ready'), pid: z.number().int(), node: z.string() }),
  z.object({ op: z.literal('result'), id: z.number().int(), outcome: ToolOutcome }),
  /** The live end of a running call's output (throttled and bounded by the tool host); always before its result. */
  z.object({ op: z.literal('output'), id: z.number().int(), output: ToolOutputSnapshot }),
  z.object({ op: z.literal('pong'), id: z.number().int() }),
  /** An `exec`'s end: its exit code (-1: killed by a signal, 127: no such program) and output (stdout base64). */
  z.object({ op: z.literal('exec_result'), id: z.number().int(), exit_code: z.number().int(), stdout: z.string(), stderr: z.string() }),
  z.object({ op: z.literal('watch_result'), id: z.number().int(), result: WatchResult }),
  /** A request line the server could not parse; id when it could be read. */
  z.object({ op: z.literal('bad_request'), id: z.number().int().optional(), error: z.string() }),
]);
export type ToolServerMessage = z.infer<typeof ToolServerMessage>;
