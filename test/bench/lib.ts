// Shared helpers for every benchmark under test/bench: timing, summaries, an aligned table, and a JSON result file.
import { promises as fsp } from 'node:fs';
import path from 'node:path';

export interface MeasureOptions {
  iterations: number;
  warmup?: number;
}

/** Runs `fn` warmup + iterations times, one after another; returns the timed iterations in ms. */
export async function measure(fn: (iteration: number) => unknown, opts: MeasureOptions): Promise<number[]> {
  for (let i = 0; i < (opts.warmup ?? 0); i++) await fn(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < opts.iterations; i++) {
    const start = performance.now();
    await fn(i);
    samples.push(performance.now() - start);
  }
  return samples;
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  mean: number;
}

/** Nearest-rank percentiles. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { n: 0, p50: NaN, p95: NaN, mean: NaN };
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
  return { n: sorted.length, p50: rank(0.5), p95: rank(0.95), mean: sorted.reduce((s, x) => s + x, 0) / sorted.length };
}

export type Row = Record<string, string | number>;

function cell(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Prints rows as a table: columns are the union of row keys, numbers right-aligned. */
export function printTable(title: string, rows: readonly Row[]): void {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const text = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...text.map((t) => t[i]!.length)));
  const numeric = columns.map((c) => rows.every((r) => r[c] === undefined || typeof r[c] === 'number'));
  const line = (cells: string[]) => cells.map((s, i) => (numeric[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!))).join('  ');
  console.log(`\n${title}`);
  console.log(line(columns));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const t of text) console.log(line(t));
}

/** Writes `test-results/bench/<part>.json` (relative to the working directory) and returns its path. */
export async function writeResults(part: string, data: unknown): Promise<string> {
  if (!/^[A-Za-z0-9_.-]+$/.test(part)) throw new Error(`bad result name ${part}`);
  const dir = path.join(process.cwd(), 'test-results', 'bench');
  await fsp.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${part}.json`);
  await fsp.writeFile(file, `${JSON.stringify({ part, at: new Date().toISOString(), node: process.version, platform: `${process.platform}-${process.arch}`, data }, null, 2)}\n`);
  return file;
}
