import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// The watch worker's code (watch-worker.ts and what it imports) as one CommonJS script, run with `eval` in a worker
// thread. The bundles carry it as a string (bundles.mjs replaces this file with the prebuilt text), so the extension
// and the CLI need no file beside them; from sources (tests through tsx) it is bundled here, once, with esbuild, a dev
// dependency only a source checkout has.

const WATCH_WORKER_ENTRY = fileURLToPath(new URL('./watch-worker.ts', import.meta.url));

let bundled: string | null = null;

export function watchWorkerSource(): string {
  if (bundled === null) {
    const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    const result = esbuild.buildSync({ entryPoints: [WATCH_WORKER_ENTRY], bundle: true, platform: 'node', target: 'node20', format: 'cjs', write: false, logLevel: 'silent' });
    const output = result.outputFiles[0];
    if (!output) throw new Error('bundling the watch worker produced no output');
    bundled = output.text;
  }
  return bundled;
}
