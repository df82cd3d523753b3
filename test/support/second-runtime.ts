import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { RemoteRuntimeClient } from '../../src/extension/connection/remote-client';
import type { TestRuntime } from './runtime';

// A second runtime process on a test's storage (runtime-process.ts), its API client, and how to end it: politely
// (SIGTERM, what a closing window does) or killed outright (SIGKILL, a crash).

export interface SecondRuntime {
  client: RemoteRuntimeClient;
  child: ChildProcess;
  /** Ends the process with `signal` (SIGTERM unless told) and waits for it to exit; nothing when it already has. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startSecondRuntime(storage: string, modelUrl: string): Promise<SecondRuntime> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'runtime-process.ts'), storage, modelUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the second runtime process exited (${code}) before serving`)));
  });
  const { url, token, pid } = JSON.parse(first) as { url: string; token: string; pid: number };
  if (pid === process.pid) throw new Error('the second runtime is this process');
  const client = new RemoteRuntimeClient({ url, token });
  return {
    client,
    child,
    async stop(signal = 'SIGTERM') {
      await client.close();
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    },
  };
}

/**
 * For a suite whose tests may start a second runtime: `start` starts it on the test runtime's storage, and after each
 * test it is stopped (SIGTERM) unless the test ended it already.
 */
export function useSecondRuntime(): { start(t: TestRuntime): Promise<SecondRuntime> } {
  let second: SecondRuntime | undefined;
  afterEach(async () => {
    await second?.stop();
    second = undefined;
  });
  return {
    async start(t) {
      second = await startSecondRuntime(t.storage, t.model.url);
      return second;
    },
  };
}
