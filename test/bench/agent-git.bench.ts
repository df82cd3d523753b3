// The agent's git (issue #19 §5): what making /workspace/.git a clone of the user's repository costs at provision,
// beside what the copy itself costs in the same run, for generated repositories of 1k and 10k files with 20 commits.
// Local provider (copy + baseline + clone) against the same copy with the clone step alone measured; and the agent's
// first `git status` against its second (equal when the index's stat data, refreshed at provision, match the copy).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildAgentGit } from '../../src/sandbox/repo/agent-git';
import { listRepository } from '../../src/sandbox/repo/listing';
import { LocalSandboxProvider } from '../../src/sandbox/local';
import { SandboxEnvironment } from '../../src/wire/environment';
import { measure, printTable, summarize, writeResults, type Row } from './lib';

const RUNS = Number(process.env.HANGAR_BENCH_RUNS ?? 5);
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hangar-bench-agent-git-'));
const environment = SandboxEnvironment.parse({ type: 'cloud' });

/** `n` source-like files (~2 KB each) in 50 × 7 directories, committed over 20 commits, then one uncommitted edit. */
function generateRepo(n: number): string {
  const dir = path.join(tmpRoot, `repo-${n}`);
  const git = (...a: string[]) => execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', ...a], { cwd: dir, stdio: 'ignore' });
  const body = 'export const value = 42;\n'.repeat(80);
  fs.mkdirSync(dir, { recursive: true });
  git('init', '-q');
  for (let c = 0; c < 20; c++) {
    for (let i = c; i < n; i += 20) {
      const d = path.join(dir, `pkg${i % 50}`, `mod${i % 7}`);
      fs.mkdirSync(d, { recursive: true });
      fs.writeFileSync(path.join(d, `file${i}.ts`), `// file ${i}, commit ${c}\n${body}`);
    }
    git('add', '-A');
    git('commit', '-qm', `commit ${c}`);
  }
  fs.appendFileSync(path.join(dir, 'pkg0', 'mod0', 'file0.ts'), '// uncommitted\n');
  return dir;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const n of [1000, 10000]) {
    const repo = generateRepo(n);
    const { files } = await listRepository(repo);
    let seq = 0;
    const clone = await measure(async () => {
      const dest = path.join(tmpRoot, `clone-${n}-${seq++}`);
      await buildAgentGit({ repoPath: repo, gitDir: path.join(dest, '.git'), workTree: repo, files });
      fs.rmSync(dest, { recursive: true, force: true });
    }, { iterations: RUNS, warmup: 1 });
    const provider = new LocalSandboxProvider({ storageRoot: path.join(tmpRoot, `store-${n}`) });
    const firstStatus: number[] = [];
    const nextStatus: number[] = [];
    const status = (cwd: string) => {
      const start = performance.now();
      execFileSync('git', ['status', '--porcelain'], { cwd, stdio: 'ignore' });
      return performance.now() - start;
    };
    const provision = await measure(async (i) => {
      const id = `bench-${n}-${seq++}`;
      const sandbox = await provider.provision({ sessionId: id, repoPath: repo, environment });
      if (i >= 0) {
        firstStatus.push(status(sandbox.workdir));
        nextStatus.push(status(sandbox.workdir));
      }
      await provider.destroy(id);
    }, { iterations: RUNS, warmup: 1 });
    await provider.close();
    const c = summarize(clone);
    const p = summarize(provision);
    rows.push({ files: n, step: 'local provision (copy + baseline + agent clone)', p50_ms: p.p50.toFixed(0), p95_ms: p.p95.toFixed(0), ratio: '1.00' });
    rows.push({ files: n, step: 'agent clone alone (shallow fetch, 100 commits, index of HEAD)', p50_ms: c.p50.toFixed(0), p95_ms: c.p95.toFixed(0), ratio: (c.p50 / p.p50).toFixed(2) });
    const f = summarize(firstStatus);
    const w = summarize(nextStatus);
    rows.push({ files: n, step: "agent's second git status (baseline for the next row)", p50_ms: w.p50.toFixed(0), p95_ms: w.p95.toFixed(0), ratio: '1.00' });
    rows.push({ files: n, step: "agent's first git status after provision (index refreshed at provision)", p50_ms: f.p50.toFixed(0), p95_ms: f.p95.toFixed(0), ratio: (f.p50 / w.p50).toFixed(2) });
  }
  printTable(`The agent's git (${os.cpus().length} CPU, ${RUNS} runs; ratio: p50 against the row it names)`, rows);
  console.log(`\nresults: ${await writeResults('agent-git', { rows })}`);
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}

void main();
