import { promises as fsp } from 'node:fs';
import path from 'node:path';

// Every connection the proxy allows or refuses, one JSON line each, in the session's directory (egress.jsonl), so
// the user can see where the sandbox went. Records name hosts, ports, methods, decisions and credential ids: never a
// path or query (they can carry tokens), never a header, never a secret.

export const EGRESS_LOG = 'egress.jsonl';

export interface EgressRecord {
  ts: string;
  session: string | null;
  /** The sandbox's address as the proxy saw it. */
  client: string;
  method: string;
  host: string;
  port: number | null;
  decision: 'allowed' | 'refused';
  reason: string;
  /** How the connection went: TLS terminated by the proxy, a blind tunnel, or plain HTTP. */
  mode?: 'intercepted' | 'tunnel' | 'http';
  /** Ids of the credentials injected into this request. */
  credentials?: string[];
  status?: number;
  error?: string;
}

const MAX_FIELD = 256;

export class EgressLog {
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    /** Where records of connections that belong to no known session go. */
    private readonly unattributed: string | null,
  ) {}

  write(file: string | null, record: EgressRecord): void {
    const target = file ?? this.unattributed;
    if (!target) return;
    const line = `${JSON.stringify(clip(record))}\n`;
    // One append at a time per file keeps lines whole and in order; a failed append must not stop the proxy.
    const next = (this.queues.get(target) ?? Promise.resolve())
      .then(() => fsp.mkdir(path.dirname(target), { recursive: true }))
      .then(() => fsp.appendFile(target, line, { mode: 0o600 }))
      .catch(() => undefined);
    this.queues.set(target, next);
    void next.then(() => {
      if (this.queues.get(target) === next) this.queues.delete(target);
    });
  }

  /** Resolves once everything written so far is on disk. */
  async flush(): Promise<void> {
    await Promise.all([...this.queues.values()]);
  }
}

/** Hosts and methods come from the sandbox; a hostile one must not bloat the log or forge lines. */
function clip(r: EgressRecord): EgressRecord {
  const s = (v: string) => (v.length > MAX_FIELD ? `${v.slice(0, MAX_FIELD)}…` : v);
  return { ...r, method: s(r.method), host: s(r.host), reason: s(r.reason), ...(r.error ? { error: s(r.error) } : {}) };
}
