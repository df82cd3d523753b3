import { createHash } from 'node:crypto';

// Model-facing MCP tool names: `<server>__<tool>`. The Messages API accepts ^[a-zA-Z0-9_-]{1,128}$, so a name that
// is not already valid is sanitised (other characters become `_`), cut to fit, and given a hash of the exact
// server and tool name. The suffix depends on nothing else, so a name stays the same across list refreshes,
// reconnects and processes, and two tools that sanitise alike still get different names.

const VALID = /^[a-zA-Z0-9_-]{1,128}$/;
const MAX = 128;
const HASH_LEN = 8;

export const SEPARATOR = '__';

export function sanitise(part: string): string {
  return part.replace(/[^a-zA-Z0-9_-]/g, '_');
}

function digest(server: string, tool: string): string {
  return createHash('sha256').update(`${server}\0${tool}`).digest('hex').slice(0, HASH_LEN);
}

/** The model-facing name of `tool` on `server`, unique among `taken` (names already given to other tools). */
export function modelToolName(server: string, tool: string, taken: ReadonlySet<string> = new Set()): string {
  const plain = `${server}${SEPARATOR}${tool}`;
  if (VALID.test(plain) && !taken.has(plain)) return plain;
  const suffix = `_${digest(server, tool)}`;
  return `${sanitise(plain).slice(0, MAX - suffix.length)}${suffix}`;
}

/** The prefix every model-facing name of `server` starts with (before any hash suffix cuts it). */
export function serverPrefix(server: string): string {
  return `${sanitise(server)}${SEPARATOR}`;
}
