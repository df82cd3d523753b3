import type Anthropic from '@anthropic-ai/sdk';
import type { Common } from './context';
import { UsageError } from './session-commands';

// Where --runtime and its trust options are honoured: the commands in REMOTE_COMMANDS run against that runtime, the
// others refuse the flags (a setting is never silently ignored). The remote code (SDK, TLS) loads only when used.

const REMOTE_COMMANDS = new Set(['sessions', 'events', 'diff']);

export function refuseRemoteFor(command: string, c: Common): void {
  const given = (['runtime', 'token', 'pin', 'ca'] as const).filter((k) => c[k] !== undefined);
  if (given.length === 0) return;
  if (c.runtime === undefined) throw new UsageError(`--${given.join(', --')} go${given.length === 1 ? 'es' : ''} with --runtime URL (the runtime to reach).`);
  if (!REMOTE_COMMANDS.has(command)) throw new UsageError(`hangar ${command} runs on this machine's storage and cannot use --runtime (${c.runtime}); on a remote runtime, use ${[...REMOTE_COMMANDS].join(', ')}, or the API with the SDK. Unset HANGAR_RUNTIME_URL to run it here.`);
}

/** Runs `fn` on the --runtime runtime and returns its exit code; undefined when no --runtime is given. */
export async function onRuntime(c: Common, fn: (client: Anthropic, url: string) => Promise<number>): Promise<number | undefined> {
  if (c.runtime === undefined) return undefined;
  const remote = await import('./remote');
  const target = await remote.remoteTarget({ ...c, runtime: c.runtime });
  return remote.withRemote(target, (client) => fn(client, target.url));
}
