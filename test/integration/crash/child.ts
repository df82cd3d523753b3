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
    // A child that finishes before its kill point is killed anyway: the wake must then find nothing to repair.
    const safety = setTimeout(kill, 8000);
    child.on('exit', (_code, signal) => {
      clearTimeout(safety);
      if (signal !== 'SIGKILL') return reject(new Error(`child exited on its own (${signal}): ${stderr}`));
      if (!sessionId) return reject(new Error(`child died before creating its session: ${stderr}`));
      resolve({ sessionId, acked });
    });
  });
}
