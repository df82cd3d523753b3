import type { ToolOutcome } from '../wire/tool-outcome';

/** Thrown inside a tool for a failure the model should read; the host turns it into an is_error outcome. */
export class ToolFailure extends Error {}

export function textOutcome(text: string, isError = false): ToolOutcome {
  return { content: [{ type: 'text', text }], is_error: isError };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${n} bytes (${value.toFixed(1)} ${units[unit]})`;
}

// A cut must not split a surrogate pair, or the model gets a lone half that some JSON encoders reject.
function safeEnd(text: string, end: number): number {
  const code = text.charCodeAt(end - 1);
  return code >= 0xd800 && code <= 0xdbff ? end - 1 : end;
}
function safeStart(text: string, start: number): number {
  const code = text.charCodeAt(start);
  return code >= 0xdc00 && code <= 0xdfff ? start + 1 : start;
}

/** Keeps the head and the tail (a crash reports at the start, a failing build at the end) and says how much was cut. */
export function capMiddle(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const half = Math.max(1, Math.floor(maxChars / 2));
  const headEnd = safeEnd(text, half);
  const tailStart = safeStart(text, text.length - half);
  const cut = tailStart - headEnd;
  return `${text.slice(0, headEnd)}\n[… ${cut} characters cut …]\n${text.slice(tailStart)}`;
}

/** Keeps the head only (listings, search hits) and appends `hint` after the notice. */
export function capHead(text: string, maxChars: number, hint: string): string {
  if (text.length <= maxChars) return text;
  let end = text.lastIndexOf('\n', maxChars);
  if (end <= 0) end = safeEnd(text, maxChars);
  return `${text.slice(0, end)}\n[… output cut at ${end} of ${text.length} characters; ${hint}]`;
}

/** NUL bytes mark binary data; text tools refuse it rather than hand the model mojibake. */
export function hasNul(buf: Buffer): boolean {
  return buf.includes(0);
}

/** True when `buf` decodes as UTF-8; `partialEnd` tolerates a multi-byte character cut off at the end of a sample. */
export function isUtf8(buf: Buffer, partialEnd = false): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf, { stream: partialEnd });
    return true;
  } catch {
    return false;
  }
}

// CSI and OSC escape sequences: colour and cursor codes tools print even with TERM=dumb; noise for the model.
// eslint-disable-next-line no-control-regex
const ANSI_RE = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI_RE, '');
}
