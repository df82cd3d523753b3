// Checkpoints and rewind (issue #13) on a 10,000-file repository, per provider: Sandbox.checkpoint() after a 10-file
// change (targets: under 20 ms p50), Sandbox.restore() of the checkpoint before that change (under 300 ms), and the
// bytes each checkpoint adds to the sandbox's git dir. Baseline in the same run: Sandbox.changes() after the same
// change (review's diff, which every turn already pays), so the ratios say what a checkpoint and a rewind cost against it.
// The change itself is made with a bash call and not timed. Cases: local, Docker overlay, Docker copy mode.
// Run: npx tsx test/bench/checkpoints.bench.ts [--runs 20] [--files 10000] [--case local|overlay|copy]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DockerSandboxProvider } from '../../src/sandbox/docker';
import { LocalSandboxProvider } from '../../src/sandbox/local';
import type { Sandbox, SandboxProvider } from '../../src/sandbox/types';
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

const CASES: { label: string; make: (storageRoot: string) => SandboxProvider }[] = [
  { label: 'local', make: (storageRoot) => new LocalSandboxProvider({ storageRoot }) },
  { label: 'docker overlay', make: (storageRoot) => new DockerSandboxProvider({ storageRoot, files: 'overlay' }) },
  { label: 'docker copy', make: (storageRoot) => new DockerSandboxProvider({ storageRoot, files: 'copy' }) },
];

async function ok(sb: Sandbox, command: string): Promise<void> {
  const o = await sb.execute('bash', { command });
  if (o.is_error) throw new Error(`${command}: ${JSON.stringify(o.content)}`);
}

async function run(label: string, provider: SandboxProvider, repo: string): Promise<Row> {
  const sb = await provider.provision({ sessionId: `bench-ckpt-${label.replace(/\W+/g, '-')}`, repoPath: repo, environment: SandboxEnvironment.parse({ type: 'cloud' }) });
  const first = performance.now();
  let previous = await sb.checkpoint();
  const firstMs = performance.now() - first;
  const checkpoint: number[] = [];
  const changes: number[] = [];
  const rewind: number[] = [];
  const bytes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await ok(sb, change(i));
    let t = performance.now();
    await sb.changes();
    changes.push(performance.now() - t);
    const before = objectBytes(previous.gitDir);
    t = performance.now();
    const next = await sb.checkpoint();
    checkpoint.push(performance.now() - t);
    bytes.push(objectBytes(previous.gitDir) - before);
    t = performance.now();
    await sb.restore(previous);
    rewind.push(performance.now() - t);
    // Forward again (untimed), so the next change starts from this run's files.
    await sb.restore(next);
    previous = next;
  }
  const c = summarize(checkpoint);
  const r = summarize(rewind);
  const d = summarize(changes);
  return {
    provider: label,
    'first checkpoint ms': firstMs,
    'checkpoint p50 ms': c.p50,
    'checkpoint p95 ms': c.p95,
    'rewind p50 ms': r.p50,
    'rewind p95 ms': r.p95,
    'changes() p50 ms': d.p50,
    'checkpoint / changes()': c.p50 / d.p50,
    'rewind / changes()': r.p50 / d.p50,
    'bytes per checkpoint p50': summarize(bytes).p50,
  };
}

async function main(): Promise<void> {
  const repo = bigRepo();
  const rows: Row[] = [];
  for (const c of CASES.filter((x) => !ONLY || x.label.endsWith(ONLY))) {
    const storage = mkdtempSync(path.join(os.tmpdir(), 'hangar-bench-ckpt-'));
    const provider = c.make(storage);
    try {
      rows.push(await run(c.label, provider, repo));
      console.log(JSON.stringify(rows.at(-1)));
    } finally {
      await provider.reap(new Set());
      await provider.close();
    }
  }
  printTable(`Checkpoints: ${FILES} files, a 10-file change, ${RUNS} runs`, rows);
  console.log(`results: ${await writeResults('checkpoints', rows)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
