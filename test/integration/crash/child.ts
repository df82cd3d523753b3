import { spawn } from 'node:child_process';
import path from 'node:path';
import { build } from 'esbuild';
import { nodeEsmBundle } from '../../../bundles.mjs';
import type { ScriptedModel } from '../../../src/model/scripted';
import type { ModelApi } from '../../support/model-apis';

// The crash tests' child process (test/fixtures/crash-child.ts): bundled once, then run and SIGKILLed per trial.

/** A bundled child starts in a fraction of the time tsx needs, so many trials stay quick. */
export async function bundleCrashChild(dir: string): Promise<string> {
  const bundle = path.join(dir, 'crash-child.mjs');
  await build({ ...nodeEsmBundle('test/fixtures/crash-child.ts', bundle), logLevel: 'error' });
  return bundle;
}

export interface ChildRun {
  sessionId: string;
  acked: string[];
}

const IDLE_HANG_GUARD_MS = 180_000;

/**
 * Runs the child on a new session (mode `threads`: a coordinator's) and SIGKILLs it `extraDelayMs` after it
 * acknowledged `killAfterEvents` events, or with 'idle' its first session.status_idle, or with an event type its first
 * event of that type (or after 8 s if it never gets there). `api`: the model API the scripted model speaks.
 */
export function runChild(bundle: string, storage: string, model: ScriptedModel, repo: string, killAfterEvents: number | 'idle' | `${string}.${string}`, extraDelayMs: number, mode = '', api: ModelApi = 'anthropic'): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, storage, model.url, 'new', repo, mode, api], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: string[] = [];
    let sessionId = '';
    let buffered = '';
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      setTimeout(() => child.kill('SIGKILL'), extraDelayMs);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const [tag, id, type] = line.split(' ');
        if (tag === 'SESSION' && id) sessionId = id;
        if (tag === 'EV' && id) {
          acked.push(id);
          const at = killAfterEvents === 'idle' ? 'session.status_idle' : killAfterEvents;
          if (typeof at === 'string' ? type === at : acked.length >= at) kill();
        }
      }
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // A child that finishes before its kill point is killed anyway: the wake must then find nothing to repair. A run
    // to idle is what an uncut run is measured by, so it is never cut short (on a loaded machine it can take far more
    // than 8 s): it only has a hang guard, which fails the run.
    let hung = false;
    const safety =
      killAfterEvents === 'idle'
        ? setTimeout(() => {
            hung = true;
            child.kill('SIGKILL');
          }, IDLE_HANG_GUARD_MS)
        : setTimeout(kill, 8000);
    child.on('exit', (_code, signal) => {
      clearTimeout(safety);
      if (hung) return reject(new Error(`child never reached session.status_idle in ${IDLE_HANG_GUARD_MS / 1000} s: ${stderr}`));
      if (signal !== 'SIGKILL') return reject(new Error(`child exited on its own (${signal}): ${stderr}`));
      if (!sessionId) return reject(new Error(`child died before creating its session: ${stderr}`));
      resolve({ sessionId, acked });
    });
  });
}
