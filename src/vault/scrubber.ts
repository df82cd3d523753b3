import type { ToolOutcome } from '../wire/tool-outcome';
import { CredentialSecret, type ToolResultBlock } from '../wire';
import { vaultEntries, type Vault } from './types';

// The last line of defence of ARCHITECTURE.md invariant 5: whatever a tool returns (a sandbox command that printed a
// credential it should never have seen, an MCP server echoing its token) passes through here before it becomes an
// event, so every secret the vault knows is replaced by `[REDACTED:<credential>]`, in the forms it usually travels
// in: as is, URL-encoded, JSON-escaped and base64 (standard and URL-safe, at any offset, which also covers the
// `user:password` of HTTP Basic auth). Where a tool cut its output (a cap's notice) or a live preview shows only a
// window of it, a secret the cut went through is whole on neither side, so the pieces at such an edge that could be
// part of one are dropped as well.

export interface SecretEntry {
  /** Names the secret in the replacement: a credential id, or the vault key for plain values. */
  label: string;
  value: string;
}

/** Shorter values would redact ordinary words; no real credential is this short. */
const MIN_SECRET = 6;
/** Base64 fragments shorter than this match random base64 too often to be worth replacing. */
const MIN_ENCODED = 8;

/** The secrets a vault value holds: the string fields of a credential's secret JSON, or the value itself. */
export function secretsOf(key: string, raw: string): SecretEntry[] {
  const label = key.includes('/') ? key.slice(key.lastIndexOf('/') + 1) : key;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return [{ label: key, value: raw }];
  }
  const secret = CredentialSecret.safeParse(parsed);
  if (!secret.success) return [{ label: key, value: raw }];
  return Object.entries(secret.data)
    .filter((e): e is [string, string] => e[0] !== 'type' && typeof e[1] === 'string')
    .map(([, value]) => ({ label, value }));
}

/** The forms a secret can appear in inside text; every one is at least MIN_ENCODED characters long. */
export function secretVariants(value: string): string[] {
  const out = new Set<string>([value]);
  out.add(encodeURIComponent(value));
  out.add(JSON.stringify(value).slice(1, -1));
  const bytes = Buffer.from(value, 'utf8');
  for (let offset = 0; offset < 3; offset++) {
    const padded = Buffer.concat([Buffer.alloc(offset), bytes]);
    // Only the characters whose 6 bits all come from the secret are fixed whatever surrounds it.
    const start = Math.ceil((offset * 8) / 6);
    const end = Math.floor(((offset + bytes.length) * 8) / 6);
    const fragment = padded.toString('base64').slice(start, end);
    if (fragment.length >= MIN_ENCODED) {
      out.add(fragment);
      out.add(fragment.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return [...out].filter((v) => v.length >= Math.min(MIN_ENCODED, value.length));
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A piece of a secret at a cut edge shorter than this tells nothing; dropping it would eat ordinary text. */
const MIN_PARTIAL = 4;

/** The notice a tool puts where it cut its output (src/tools/output.ts, collector.ts, the Docker exec fallback). */
const CUT_NOTICE = /\n\[… [^\]\n]*\bcut\b[^\]\n]*\]\n?/g;

export class Scrubber {
  private pattern: RegExp | null = null;
  private labels = new Map<string, string>();

  /** @param vault where the secrets are read from on refresh() */
  constructor(private readonly vault?: Vault) {}

  /** The vault version the secrets were loaded at; undefined: not loaded from the vault (or it has no versions). */
  private loaded: string | undefined;

  /**
   * Makes the secrets current: call before scrubbing output that a just-added credential may be in. Reads the
   * values only when the vault's version moved (one stat for the CLI's file), not before every tool outcome.
   */
  async refresh(): Promise<void> {
    if (!this.vault) return;
    // Read before the values: a change racing this load moves the version again, so the next refresh reloads.
    const version = await this.vault.version?.();
    if (version !== undefined && version === this.loaded) return;
    const entries: SecretEntry[] = [];
    for (const [key, raw] of await vaultEntries(this.vault)) entries.push(...secretsOf(key, raw));
    this.use(entries);
    this.loaded = version;
  }

  use(entries: readonly SecretEntry[]): void {
    this.loaded = undefined;
    const labels = new Map<string, string>();
    for (const e of entries) {
      if (e.value.length < MIN_SECRET) continue;
      for (const v of secretVariants(e.value)) if (!labels.has(v)) labels.set(v, e.label);
    }
    // Longest first, so a secret that contains another is replaced whole.
    const variants = [...labels.keys()].sort((a, b) => b.length - a.length);
    this.labels = labels;
    this.pattern = variants.length > 0 ? new RegExp(variants.map(escapeRegExp).join('|'), 'g') : null;
  }

  get size(): number {
    return this.labels.size;
  }

  text(s: string): string {
    const p = this.pattern;
    if (!p || s.length === 0) return s;
    if (!s.includes('[… ')) return s.replace(p, (m) => `[REDACTED:${this.labels.get(m) ?? 'secret'}]`);
    // Where a tool cut its output, a secret the cut went through is whole on neither side: the text beside each cut
    // notice is scrubbed as the edge of a window.
    let out = '';
    let pos = 0;
    for (const m of s.matchAll(CUT_NOTICE)) {
      out += this.edges(s.slice(pos, m.index), pos > 0, true) + m[0];
      pos = m.index + m[0].length;
    }
    return out + this.edges(s.slice(pos), pos > 0, false);
  }

  contains(s: string): boolean {
    const p = this.pattern;
    if (!p) return false;
    p.lastIndex = 0;
    const found = p.test(s);
    p.lastIndex = 0;
    return found;
  }

  /**
   * Scrubs a window of a longer text (a running command's output end): `cutStart` says older text was dropped before
   * it, and more may follow it. A secret cut by an edge is not whole here, so the scrubber would not know it: the
   * edge text that could be part of one (the window starts with a secret's end, or ends with its beginning) is
   * dropped too. Whole secrets anywhere are replaced as text() does.
   */
  window(s: string, cutStart: boolean): string {
    return this.edges(s, cutStart, true);
  }

  /** Replaces whole secrets, and drops what could be part of one at an edge where the text was cut. */
  private edges(s: string, cutStart: boolean, cutEnd: boolean): string {
    const p = this.pattern;
    if (!p || s.length === 0) return s;
    const from = cutStart ? this.partialEdge(s, 'start') : 0;
    const to = cutEnd ? s.length - this.partialEdge(s, 'end') : s.length;
    let out = '';
    let pos = 0;
    const keep = (a: number, b: number) => (out += s.slice(Math.max(a, from), Math.min(b, to)));
    for (const m of s.matchAll(p)) {
      const start = m.index;
      keep(pos, start);
      pos = start + m[0].length;
      if (pos > from && start < to) out += `[REDACTED:${this.labels.get(m[0]) ?? 'secret'}]`;
    }
    keep(pos, s.length);
    return out;
  }

  /** Length of the longest piece at this edge of `s` that is a proper part of a secret's form from that side. */
  private partialEdge(s: string, edge: 'start' | 'end'): number {
    let longest = 0;
    for (const v of this.labels.keys()) {
      // Only lengths whose inner edge character matches are compared in full (a long key costs no quadratic time).
      const inner = edge === 'start' ? v.charCodeAt(v.length - 1) : v.charCodeAt(0);
      for (let k = Math.min(v.length - 1, s.length); k > Math.max(longest, MIN_PARTIAL - 1); k--) {
        if ((edge === 'start' ? s.charCodeAt(k - 1) : s.charCodeAt(s.length - k)) !== inner) continue;
        const hit = edge === 'start' ? s.startsWith(v.slice(v.length - k)) : s.endsWith(v.slice(0, k));
        if (hit) {
          longest = k;
          break;
        }
      }
    }
    return longest;
  }

  outcome(o: ToolOutcome): ToolOutcome {
    if (!this.pattern) return o;
    return { ...o, content: o.content.map((b) => this.block(b)) };
  }

  private block(b: ToolResultBlock): ToolResultBlock {
    if ((b.type === 'image' || b.type === 'document') && b.source.type === 'base64') {
      // Redacting inside base64 would leave a broken file the model API refuses; the block goes as a whole.
      if (this.contains(b.source.data)) return { type: 'text', text: `[REDACTED: a ${b.type} block of ${b.source.media_type} contained a secret and was removed]` };
    }
    return this.deep(b) as ToolResultBlock;
  }

  private deep(v: unknown): unknown {
    if (typeof v === 'string') return this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.deep(x));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.deep(x)]));
    return v;
  }
}
