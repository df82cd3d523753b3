// What held the extension host's loop: for each case profiled by `extension-host.bench.ts --profile DIR`, the stalls
// its timer probe saw (entry.ts stallProbe) and, per stall, the code the CPU profile sampled in it, named by the
// source file esbuild bundled it from (dist/extension.cjs keeps a `// src/…` comment before each module).
// Run: npx tsx test/bench/extension-host/stalls.ts DIR [--top 12]
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { StallWindow } from './plan';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A sample's time is capped: on a loaded machine the sampler thread waits too, and its gaps are not all this code's. */
const SAMPLE_CAP_US = 2000;

const args = process.argv.slice(2);
const dir = args[0];
if (!dir) throw new Error('usage: stalls.ts DIR [--top N] (DIR: the --profile directory of extension-host.bench.ts)');
const top = Number(args.includes('--top') ? args[args.indexOf('--top') + 1] : 12);
const bundleModules = moduleLines(path.resolve(import.meta.dirname, '../../../dist/extension.cjs'));

for (const file of readdirSync(dir).filter((f) => f.endsWith('.stalls.json')).sort()) {
  const name = file.slice(0, -'.stalls.json'.length);
  const stalls = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as StallWindow[];
  const profile = JSON.parse(readFileSync(path.join(dir, `${name}.cpuprofile`), 'utf8')) as CpuProfile;
  report(name, stalls, profile);
}

function report(name: string, stalls: StallWindow[], profile: CpuProfile): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const times: number[] = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) times.push((t += d));
  /** The sampled code of a stack, by where it comes from: the innermost Hangar module, else VS Code or Node's. */
  const origin = (id: number): string => {
    let fallback: string | null = null;
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
      const f = byId.get(x)!.callFrame;
      if (f.url.endsWith('extension.cjs')) return `${bundleModules(f.lineNumber + 1)} ${f.functionName || '(anonymous)'}`;
      fallback ??= f.url.includes('extensionHostProcess') ? `vscode ${f.functionName}` : f.url.startsWith('node:') ? `${f.url} ${f.functionName}` : null;
    }
    return fallback ?? byId.get(id)!.callFrame.functionName;
  };
  const all = new Map<string, number>();
  const lines: string[] = [];
  const sorted = [...stalls].sort((a, b) => b.endUs - b.startUs - (a.endUs - a.startUs));
  for (const [i, s] of sorted.entries()) {
    const where = new Map<string, number>();
    for (let k = 0; k < times.length; k++) {
      if (times[k]! < s.startUs || times[k]! > s.endUs) continue;
      const id = profile.samples[k]!;
      if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
      const us = Math.min(profile.timeDeltas[k + 1] ?? 0, SAMPLE_CAP_US);
      const key = origin(id);
      where.set(key, (where.get(key) ?? 0) + us);
      all.set(key, (all.get(key) ?? 0) + us);
    }
    if (i >= top) continue;
    const sampled = [...where.values()].reduce((a, b) => a + b, 0);
    lines.push(`  ${((s.endUs - s.startUs) / 1000).toFixed(0)} ms stall at +${((s.startUs - profile.startTime) / 1e6).toFixed(2)} s${schedule(s)}, ${(sampled / 1000).toFixed(0)} ms sampled:`);
    for (const [k, us] of [...where].sort((a, b) => b[1] - a[1]).slice(0, 6)) lines.push(`      ${(us / 1000).toFixed(1).padStart(6)} ms  ${k}`);
  }
  const total = stalls.reduce((a, s) => a + s.endUs - s.startUs, 0);
  const ran = { cpuMs: stalls.reduce((a, s) => a + (s.cpuMs ?? 0), 0), waitMs: stalls.reduce((a, s) => a + (s.waitMs ?? 0), 0) };
  console.log(`\n${name}: ${stalls.length} stalls, ${(total / 1000).toFixed(0)} ms${schedule(ran)}; the longest:`);
  console.log(lines.join('\n'));
  console.log(`  sampled in all stalls:`);
  for (const [k, us] of [...all].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`      ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
}

/** How long the loop's thread ran and waited for a CPU, when the probe could tell. */
function schedule(s: Pick<StallWindow, 'cpuMs' | 'waitMs'>): string {
  return s.cpuMs === undefined || s.waitMs === undefined ? '' : ` (the loop's thread on a CPU ${s.cpuMs.toFixed(0)} ms, waiting for one ${s.waitMs.toFixed(0)} ms)`;
}

/** The source module of each line of the bundle, from esbuild's `// src/…` and `// node_modules/…` comments. */
function moduleLines(bundle: string): (line: number) => string {
  const starts: [number, string][] = [];
  readFileSync(bundle, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const m = /^\/\/ ((?:src|node_modules)\/\S+)$/.exec(text);
      if (m) starts.push([i + 1, m[1]!]);
    });
  return (line) => {
    let lo = 0;
    let hi = starts.length - 1;
    let found = '?';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]![0] <= line) {
        found = starts[mid]![1];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}
