import type { Duplex } from 'node:stream';
import type { SandboxEnvironment } from '../wire';
import type { ToolOutcome } from '../wire/tool-outcome';
import type { ToolOutputSnapshot } from '../wire/tool-output';

// The one seam between the harness and the hands (ARCHITECTURE.md invariant 3): the harness calls execute() and never
// knows whether a container, a local temp copy or a remote host runs the tool.

export interface ExecuteOptions {
  /** Aborting kills the running command (its whole process tree) and resolves with an is_error outcome. */
  signal?: AbortSignal;
  /**
   * Gets the live end of a running command's output (bash), at most about 10 times a second and never after
   * execute() resolved. Unscrubbed: the caller scrubs it like the result before anyone sees it.
   */
  onOutput?: (snapshot: ToolOutputSnapshot) => void;
  /**
   * The persistent shell bash runs in: absent, the session's own; a name (a sub-agent thread's id) gets a shell of its
   * own in the same sandbox, over the same files, so two threads' commands run at the same time.
   */
  shell?: string;
}

export type ChangeStatus = 'added' | 'modified' | 'deleted' | 'renamed' | 'mode_changed';

export interface FileChange {
  path: string;
  /** Set for renames. */
  old_path?: string;
  status: ChangeStatus;
  binary: boolean;
  old_mode?: string;
  new_mode?: string;
  additions: number;
  deletions: number;
}

export interface WorkspaceChanges {
  /** git-style unified diff (with --binary patches, renames and mode lines) of the sandbox copy against its baseline. */
  patch: string;
  files: FileChange[];
}

export type FileSide = 'baseline' | 'current';

/** A checkpoint of the sandbox's files: a git tree in a git dir (repo/checkpoint-git.ts says what it records). */
export interface CheckpointRef {
  /** The git dir holding the tree and its blobs. */
  gitDir: string;
  /** The tree id (40 hex). */
  tree: string;
}

export interface Sandbox {
  readonly sessionId: string;
  /** Where the repository copy lives as the tools see it (e.g. /workspace or a temp dir). */
  readonly workdir: string;
  execute(name: string, input: unknown, options?: ExecuteOptions): Promise<ToolOutcome>;
  changes(): Promise<WorkspaceChanges>;
  /** Content of a file at the baseline or now; null when it does not exist on that side. */
  readFile(path: string, side: FileSide): Promise<Buffer | null>;
  /**
   * Records the files as they are now (what changes() compares: the workspace minus ignored files and the agent's
   * .git) and returns the checkpoint. Content-addressed: the same files give the same tree, and only files unseen
   * before add storage. Serialised with changes() and restore().
   */
  checkpoint(): Promise<CheckpointRef>;
  /**
   * Makes the files exactly those of `checkpoint` (bytes, executable bits, symlinks; files it lacks are deleted;
   * ignored files are left alone). A checkpoint of another sandbox has its objects copied in first. Throws
   * UnknownCheckpointError for a tree its git dir does not hold. Idempotent: run again after a crash, it finishes.
   */
  restore(checkpoint: CheckpointRef): Promise<void>;
  /** Ends a named shell (its processes die); release() ends them all. */
  closeShell(shell: string): Promise<void>;
  /** Stop processes but keep the session's files (they live on, e.g. in a volume). */
  release(): Promise<void>;
}

export interface ProvisionSpec {
  sessionId: string;
  /** Host path of the repository to copy in; absent = an empty workspace. */
  repoPath?: string;
  environment: SandboxEnvironment;
  /** Extra environment variables for the sandbox: the placeholders of the session's credentials, never a secret. */
  env?: Record<string, string>;
  /** Progress for long provisioning (copying 10k files); shown as status by the surfaces. */
  onProgress?: (message: string) => void;
  /** Host files the sandbox shows read-only at their `target` (a session's file resources). */
  mounts?: SandboxMount[];
  /**
   * A host directory the sandbox shows writable at /mnt/session/outputs (SESSION_OUTPUTS_DIR): the runtime captures
   * what is left there into the Files API after each idle.
   */
  outputsDir?: string;
  /** Host directories the sandbox binds writable (the clones of the session's repository resources). */
  repositories?: SandboxMount[];
  /**
   * Host directories the sandbox shows writable at their target (a session's read_write memory stores): Docker binds
   * them, the local provider links them. Unlike repositories they reach no host, so they open no network.
   */
  writable?: SandboxMount[];
  /**
   * A checkpoint the new sandbox starts from (a fork's): a provider may make the workspace from its files, where it
   * would otherwise copy the repository. Ignored for a sandbox that exists already; the caller restores the checkpoint
   * after provisioning either way.
   */
  seed?: CheckpointRef;
}

export interface SandboxMount {
  /** Host path of a file, or of a folder (a session's skills), shown whole. */
  source: string;
  /** Absolute path inside the sandbox, e.g. /mnt/session/uploads/file_…. */
  target: string;
}

/** Where a sandbox with networking reaches the host-side egress proxy, and what it needs to use it. */
export interface EgressEndpoint {
  /** The proxy's port on the gateway: the only place on the host the sandbox may connect to. */
  port: number;
  /** Proxy and CA variables for the sandbox's environment. */
  env: string[];
  /** The runtime CA's certificate (never its key) and where the sandbox's trust store expects it. */
  caCert: { pem: string; path: string };
}

/**
 * The egress proxy as a provider sees it (the runtime implements it over src/vault/proxy). Sandboxes with networking
 * get no route out but this proxy, which knows each sandbox by its address.
 */
export interface SandboxEgress {
  /** Starts (or reuses) a proxy listener on `gateway`, the host's address on the sandbox network. */
  endpoint(gateway: string): Promise<EgressEndpoint>;
  /** Connections from `address` belong to `sessionId` from now on. */
  bind(sessionId: string, address: string): void;
  unbind(sessionId: string): void;
  /**
   * Variables and trust for a sandbox that reaches the proxy at `url` inside itself: the near end of a tunnel to this
   * host (a remote engine's sandbox, which no network joins to this host). No listener is started.
   */
  tunnelEndpoint(url: string): Promise<Omit<EgressEndpoint, 'port'>>;
  /** Serves one connection that came through `sessionId`'s tunnel as that sandbox's. */
  accept(sessionId: string, connection: Duplex): void;
}

export interface SandboxProvider {
  readonly kind: 'local' | 'docker';
  /** Hands the provider the egress proxy (providers that isolate the network need it; others ignore it). */
  useEgress?(egress: SandboxEgress): void;
  /**
   * Where a sandbox path outside the repository copy (a mount, /mnt/session/outputs) is for the session's commands:
   * the path itself in a container; absent, the same. The local provider has no separate root, so it places them
   * under the session's sandbox directory and answers that path.
   */
  mountedAt?(sessionId: string, target: string): string;
  /**
   * Shows one more host file read-only in a session's existing sandbox (a file resource added while the session
   * lives), whether or not this process has it provisioned, and keeps it there when the sandbox is made again. No
   * sandbox yet: nothing to do, provisioning mounts what its spec names.
   */
  mount(sessionId: string, mount: SandboxMount): Promise<void>;
  /** Create the sandbox, or reattach to the session's existing files/container when they exist. */
  provision(spec: ProvisionSpec): Promise<Sandbox>;
  /** Remove everything the session owns (container, volume, temp copy). */
  destroy(sessionId: string): Promise<void>;
  /** Remove leftovers of sessions that no longer exist. Returns what was removed. */
  reap(liveSessionIds: ReadonlySet<string>): Promise<string[]>;
  close(): Promise<void>;
}
