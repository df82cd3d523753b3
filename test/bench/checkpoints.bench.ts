// Checkpoints and rewind (issue #13) on a 10,000-file repository, per provider: Sandbox.checkpoint() after a 10-file
// change (targets: under 20 ms p50), Sandbox.restore() of the checkpoint before that change (under 300 ms), and the
// bytes each checkpoint adds to the sandbox's git dir. Baseline in the same run: Sandbox.changes() after the same
// change (review's diff, which every turn already pays), so the ratios say what a checkpoint and a rewind cost against it.
// The change itself is made with a bash call and not timed. Cases: local (checkpoints built from the file watcher's
// paths, against the full scan, `git add -A` + `write-tree`, in sandboxes of the same repository with the runs
// interleaved: 'checkpoint / full scan'), Docker overlay, Docker copy mode (checkpoints from the tool server's watch,
// against the full scan in the container, likewise). Beside each checkpoint's time, how long this process's event
// loop ran JavaScript during it (the loop that drives every session: a local checkpoint is built in the watch worker,
// issue #17, so it should stay near zero; hashing on the loop shows here).
// Run: npx tsx test/bench/checkpoints.bench.ts [--runs 20] [--files 10000] [--case local|overlay|copy]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DockerSandboxProvider } from '../../src/sandbox/docker';
import type { DockerSandbox } from '../../src/sandbox/docker/sandbox';
import { LocalSandboxProvider } from '../../src/sandbox/local';
import type { LocalSandbox } from '../../src/sandbox/local/sandbox';
import type { CheckpointRef, Sandbox, SandboxProvider } from '../../src/sandbox/types';
import { SandboxEnvironment } from '../../src/wire/environment';
import { printTable, summarize, writeResults, type Row } from './lib';

const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const RUNS = arg('--runs', 20);
/** --case local|overlay|copy runs one case only. */
const ONLY = process.argv.includes('--case') ? process.argv[process.argv.indexOf('--case') + 1] : null;
const FILES = arg('--files', 10_000);
const change = (run: number) => `for i in 0 1 2 3 4 5 6 7 8 9; do echo "run ${run}" >> "d$i/f$i.txt"; done`;

function bigRepo(): string {
  const repo = mkdtempSync(path.join(os.tmpdir(), 'hangar-bench-ckpt-repo-'));
  for (let i = 0; i < FILES; i++) {
    const dir = path.join(repo, `d${i % 100}`);
    if (i < 100) mkdirSync(dir);
    writeFileSync(path.join(dir, `f${i}.txt`), `file ${i}\n`);
  }
  const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };
  execFileSync('git', ['init', '-q'], { cwd: repo, env });
  execFileSync('git', ['add', '-A'], { cwd: repo, env });
  execFileSync('git', ['commit', '-qm', 'init'], { cwd: repo, env });
  return repo;
}

/** Bytes of every object file (loose and packed) under a git dir. */
function objectBytes(gitDir: string): number {
  let total = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) total += statSync(p).size;
    }
  };
  walk(path.join(gitDir, 'objects'));
  return total;
}

/** Each case's providers; the runs of one case's sandboxes are interleaved and its later rows compared to its first. */
const CASES: { name: string; providers: { label: string; make: (storageRoot: string) => SandboxProvider }[] }[] = [
  {
    name: 'local',
    providers: [
      { label: 'local full scan', make: (storageRoot) => new LocalSandboxProvider({ storageRoot, watchCheckpoints: false }) },
      { label: 'local watched', make: (storageRoot) => new LocalSandboxProvider({ storageRoot }) },
    ],
  },
  { name: 'overlay', providers: [{ label: 'docker overlay', make: (storageRoot) => new DockerSandboxProvider({ storageRoot, files: 'overlay' }) }] },
  {
    name: 'copy',
    providers: [
      { label: 'docker copy full scan', make: (storageRoot) => new DockerSandboxProvider({ storageRoot, files: 'copy', watchCheckpoints: false }) },
      { label: 'docker copy watched', make: (storageRoot) => new DockerSandboxProvider({ storageRoot, files: 'copy' }) },
    ],
  },
];

async function ok(sb: Sandbox, command: string): Promise<void> {
  const o = await sb.execute('bash', { command });
  if (o.is_error) throw new Error(`${command}: ${JSON.stringify(o.content)}`);
}

interface Samples {
  label: string;
  firstMs: number;
  checkpoint: number[];
  /** Event-loop busy ms during each checkpoint call. */
  loopBusy: number[];
  changes: number[];
  rewind: number[];
  bytes: number[];
  /** Docker copy mode: whether each checkpoint came from the tool server's watch. */
  watched: boolean[];
}

/** One run on `sb`: a change, review's diff, the checkpoint, a rewind to `previous` and forward again (untimed). */
async function once(sb: Sandbox, i: number, previous: CheckpointRef, out: Samples): Promise<CheckpointRef> {
  await ok(sb, change(i));
  let t = performance.now();
  await sb.changes();
  out.changes.push(performance.now() - t);
  const before = objectBytes(previous.gitDir);
  t = performance.now();
  const elu = performance.eventLoopUtilization();
  const next = await sb.checkpoint();
  out.checkpoint.push(performance.now() - t);
  out.loopBusy.push(performance.eventLoopUtilization(elu).active);
  const source = (sb as Partial<DockerSandbox>).checkpointSource;
  if (source) out.watched.push(source.via === 'watch');
  out.bytes.push(objectBytes(previous.gitDir) - before);
  t = performance.now();
  await sb.restore(previous);
  out.rewind.push(performance.now() - t);
  // Forward again (untimed), so the next change starts from this run's files.
  await sb.restore(next);
  return next;
}

/** The runs of every sandbox of a case, interleaved (run i on each in turn), so load changes hit them alike. */
async function run(sandboxes: { label: string; sb: Sandbox }[]): Promise<Row[]> {
  const samples: Samples[] = [];
  const previous: CheckpointRef[] = [];
  for (const { label, sb } of sandboxes) {
    const first = performance.now();
    previous.push(await sb.checkpoint());
    samples.push({ label, firstMs: performance.now() - first, checkpoint: [], loopBusy: [], changes: [], rewind: [], bytes: [], watched: [] });
  }
  for (let i = 0; i < RUNS; i++) {
    for (const [k, { sb }] of sandboxes.entries()) previous[k] = await once(sb, i, previous[k] as CheckpointRef, samples[k] as Samples);
  }
  const baseline = summarize((samples[0] as Samples).checkpoint).p50;
  return samples.map((s, k) => {
    const c = summarize(s.checkpoint);
    const r = summarize(s.rewind);
    const d = summarize(s.changes);
    const built = (sandboxes[k]?.sb as Partial<LocalSandbox>).checkpointCounts?.built ?? (s.watched.length ? s.watched.filter(Boolean).length : undefined);
    return {
      provider: s.label,
      'first checkpoint ms': s.firstMs,
      'checkpoint p50 ms': c.p50,
      'checkpoint p95 ms': c.p95,
      'loop busy ms/checkpoint p50': summarize(s.loopBusy).p50,
      ...(sandboxes.length > 1 ? { 'checkpoint / full scan': c.p50 / baseline, 'built from watched paths': built ?? '' } : {}),
      'rewind p50 ms': r.p50,
      'rewind p95 ms': r.p95,
      'changes() p50 ms': d.p50,
      'checkpoint / changes()': c.p50 / d.p50,
      'rewind / changes()': r.p50 / d.p50,
      'bytes per checkpoint p50': summarize(s.bytes).p50,
    };
  });
}

async function main(): Promise<void> {
  const repo = bigRepo();
  const rows: Row[] = [];
  for (const c of CASES.filter((x) => !ONLY || x.name === ONLY)) {
    const providers = c.providers.map((p) => ({ label: p.label, provider: p.make(mkdtempSync(path.join(os.tmpdir(), 'hangar-bench-ckpt-'))) }));
    try {
      const sandboxes = [];
      for (const { label, provider } of providers) {
        sandboxes.push({ label, sb: await provider.provision({ sessionId: `bench-ckpt-${label.replace(/\W+/g, '-')}`, repoPath: repo, environment: SandboxEnvironment.parse({ type: 'cloud' }) }) });
      }
      for (const row of await run(sandboxes)) {
        rows.push(row);
        console.log(JSON.stringify(row));
      }
    } finally {
      for (const { provider } of providers) {
        await provider.reap(new Set());
        await provider.close();
      }
    }
  }
  printTable(`Checkpoints: ${FILES} files, a 10-file change, ${RUNS} runs`, rows);
  console.log(`results: ${await writeResults('checkpoints', rows)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
