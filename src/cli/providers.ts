import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { createProvider as createAnyProvider, type ProviderKind, type ProviderOptions } from '../runtime/providers';
import { notFound, invalid, RuntimeError } from '../runtime/errors';
import { readRecord } from '../runtime/session-record';
import { packageRoot, shellQuote } from './invocation';
import { sharedPoolOptions } from './warm-keeper';
import type { SandboxProvider } from '../sandbox/types';

// Which sandbox provider a CLI command opens. A session keeps the provider it was created with, whatever today's
// default is: under "auto" a command on a session opens that session's provider, and refuses with the fix only when
// the session needs its sandbox and that provider cannot be had now. Commands that never touch a sandbox do not probe
// Docker at all, so they print no notice about it.

/**
 * A CLI process ends with its command: the containers it releases are removed by a detached process, not waited for.
 * A long-lived command (serve) keeps warm containers in its process; one-shot ones (run) share them across processes
 * through detached keepers (warm-keeper.ts).
 */
function createProvider(kind: ProviderKind, storageRoot: string, onNotice?: (message: string) => void, options: Pick<ProviderOptions, 'warmPool' | 'warmPoolMax' | 'sharedPool'> = {}): Promise<SandboxProvider> {
  return createAnyProvider(kind, storageRoot, onNotice, { ...options, teardown: 'detached' });
}

/** For a command on an existing session. */
export async function providerForSession(storageRoot: string, id: string, requested: ProviderKind, needsSandbox: boolean): Promise<SandboxProvider> {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) throw notFound('Session', id);
  const dir = path.join(storageRoot, 'sessions', id);
  const record = await readRecord(dir).catch((err: unknown) => (err instanceof RuntimeError && err.code === 'damaged' ? null : Promise.reject(err)));
  if (!record) {
    if (!(await fsp.stat(dir).then((st) => st.isDirectory(), () => false))) throw notFound('Session', id);
    // A damaged session (no readable session.json) names no provider; the runtime says what is wrong, and delete works.
    return createProvider(requested, storageRoot);
  }
  const recorded = record.environment.hangar.provider ?? 'local';
  // An explicit --provider that differs is the user's choice; the runtime explains the mismatch when it matters.
  if (requested !== 'auto' || recorded === 'local' || !needsSandbox) return createProvider(requested === 'auto' ? recorded : requested, storageRoot);
  let reason = '';
  const provider = await createProvider('auto', storageRoot, (m) => (reason = m));
  if (provider.kind === 'docker') return provider;
  await provider.close();
  throw invalid(`Session ${id} works in a Docker sandbox, and Docker sandboxes are not available now: ${firstSentence(reason)}. Its files are kept: start Docker (${setupCommand('scripts/setup/docker-engine.sh')}) and run the command again.`);
}

/** For a command that creates sessions (run, demo, serve): the requested provider, telling once why "auto" fell back. */
export async function providerForNewSessions(storageRoot: string, requested: ProviderKind, notice: (message: string) => void, warmPool?: number, warmPoolMax?: number): Promise<SandboxProvider> {
  let reason: string | null = null;
  // serve names its in-process pool (even 0); the commands that do not are one-shot and share warm containers.
  const sharedPool = warmPool === undefined ? sharedPoolOptions() : undefined;
  const provider = await createProvider(requested, storageRoot, (m) => (reason = firstSentence(m)), { warmPool: warmPool ?? 0, warmPoolMax, sharedPool });
  if (reason !== null && (await firstTime(storageRoot, reason))) {
    notice(
      `Docker sandboxes are not available (${reason}), so sessions use the local sandbox: a private copy of the repository where commands run as you, without isolation. ` +
        `To use containers, start Docker (${setupCommand('scripts/setup/docker-engine.sh')}) and build the image (${setupCommand('sandbox/build-image.sh')}). ` +
        'To choose the local sandbox and not be told again, pass --provider local (or set HANGAR_SANDBOX=local).',
    );
  }
  return provider;
}

/** The fallback reason without the advice meant for other surfaces (settings and environment config keys). */
function firstSentence(message: string): string {
  const reason = message.replace(/^.*?because Docker sandboxes are not available: /, '');
  return reason.split(/\.(?:\s|$)/)[0] ?? reason;
}

function setupCommand(script: string): string {
  return `sudo bash ${shellQuote(path.join(packageRoot(), script))}`;
}

/** True the first time this reason is seen in this storage; the run header names the sandbox every time after. */
async function firstTime(storageRoot: string, reason: string): Promise<boolean> {
  const file = path.join(storageRoot, 'docker-notice.txt');
  const seen = await fsp.readFile(file, 'utf8').catch(() => null);
  if (seen === reason) return false;
  await fsp.mkdir(storageRoot, { recursive: true });
  await fsp.writeFile(file, reason);
  return true;
}
