import { readFile } from 'node:fs/promises';
import type Anthropic from '@anthropic-ai/sdk';
import { discoverRuntime } from '../remote/discovery';
import { explainRuntimeError, runtimeClient, type RuntimeTarget } from '../remote/connect';
import { followRemoteSession, type RemoteEvent } from '../remote/follow';
import { SessionEvent } from '../wire';
import { SessionChanges } from '../wire/changes';
import { sessionRepository } from '../wire/session-repository';
import { EXIT } from './exit-codes';
import { defaultStorage } from './env';
import { formatCount, paint, renderEvent } from './render';
import { onShutdown } from './shutdown';
import { printPatch } from './session-flow';
import { UsageError } from './session-commands';

// The commands that work on a runtime elsewhere (`--runtime URL`): they speak the Managed Agents API through the
// official SDK, so a runtime on another machine (HTTPS, a trusted or pinned certificate) or a detached one on this
// machine (`--runtime detached`, from the runtime.json hangar serve writes) answers them. Other commands need the
// runtime's own storage and refuse --runtime (remote-flags.ts).


export interface RemoteFlags {
  runtime?: string;
  token?: string;
  pin?: string;
  ca?: string;
  storage?: string;
}

export async function remoteTarget(flags: RemoteFlags & { runtime: string }): Promise<RuntimeTarget> {
  if (flags.runtime === 'detached') {
    const home = flags.storage ?? defaultStorage();
    const found = await discoverRuntime(home);
    if (!found) throw new UsageError(`No detached runtime runs on ${home} (no runtime.json of a live process): start one with hangar serve, or give its URL.`);
    return { url: found.url, token: flags.token ?? found.token, trust: found.fingerprint256 ? { pin: flags.pin ?? found.fingerprint256 } : {} };
  }
  if (!flags.token) throw new UsageError(`--runtime ${flags.runtime} needs the runtime's token: --token or $HANGAR_RUNTIME_TOKEN (the api-token file in that runtime's Hangar home).`);
  const ca = flags.ca === undefined ? undefined : await readFile(flags.ca, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`Cannot read the CA file ${flags.ca}: ${err.code ?? err.message}.`);
  });
  return { url: flags.runtime, token: flags.token, trust: { ...(ca === undefined ? {} : { ca }), ...(flags.pin === undefined ? {} : { pin: flags.pin }) } };
}

/** Runs `fn` with a client of the target; connection, certificate and token failures become their sentence. */
export async function withRemote(target: RuntimeTarget, fn: (client: Anthropic) => Promise<number>): Promise<number> {
  try {
    return await fn(runtimeClient({ ...target, maxRetries: 0 }));
  } catch (err) {
    throw explainRuntimeError(err, target.url);
  }
}

export async function remoteSessions(client: Anthropic, limit: number, json: boolean): Promise<number> {
  const page = await client.beta.sessions.list({ limit });
  if (page.data.length === 0 && !json) process.stdout.write('No sessions on that runtime yet.\n');
  for (const s of page.data) {
    if (json) {
      process.stdout.write(`${JSON.stringify(s)}\n`);
      continue;
    }
    const tokens = formatCount((s.usage.input_tokens ?? 0) + (s.usage.output_tokens ?? 0)).padStart(6);
    const repo = sessionRepository(s.resources as Parameters<typeof sessionRepository>[0])?.path ?? '-';
    process.stdout.write(`${s.id}  ${s.status.padEnd(12)} ${s.created_at.slice(0, 19)}  ${tokens} tok  ${repo}  ${s.title ?? ''}\n`);
  }
  return EXIT.ok;
}

/** What a session changed, fetched through the runtime's changes endpoint (its sandbox is over there). */
export async function remoteChanges(client: Anthropic, id: string): Promise<SessionChanges> {
  const raw: unknown = await client.get(`/v1/sessions/${encodeURIComponent(id)}/changes`);
  const parsed = SessionChanges.safeParse(raw);
  if (!parsed.success) throw new Error(`The runtime answered the changes of ${id} in a form this hangar does not read (${parsed.error.issues[0]?.message ?? 'invalid'}); are both the same version?`);
  return parsed.data;
}

export async function remoteDiff(client: Anthropic, id: string, json: boolean): Promise<number> {
  const changes = await remoteChanges(client, id);
  if (json) process.stdout.write(`${JSON.stringify(changes)}\n`);
  else if (changes.files.length === 0) process.stdout.write('No changes in the sandbox.\n');
  else printPatch(changes.patch, paint(process.stdout.isTTY === true));
  return EXIT.ok;
}

/**
 * A session's events from the runtime; with `follow`, new ones until Ctrl-C, across the runtime going away and coming
 * back (said on stderr): what happened meanwhile is read from its log when it answers again, each event printed once.
 */
export async function remoteEvents(client: Anthropic, url: string, id: string, o: { follow: boolean; json: boolean }): Promise<number> {
  const p = paint(process.stdout.isTTY === true);
  const print = (e: RemoteEvent) => {
    if (o.json) return void process.stdout.write(`${JSON.stringify(e)}\n`);
    const parsed = SessionEvent.safeParse(e);
    const line = parsed.success ? renderEvent(parsed.data, p, id) : null;
    if (line !== null) process.stdout.write(`${line}\n`);
  };
  if (!o.follow) {
    for await (const e of client.beta.sessions.events.list(id, { limit: 1000 })) print(e);
    return EXIT.ok;
  }
  const stop = new AbortController();
  const unregister = onShutdown(async () => stop.abort());
  const warn = paint(process.stderr.isTTY === true);
  try {
    await followRemoteSession(client, id, {
      url,
      signal: stop.signal,
      onEvent: print,
      onLost: (err, wait) => process.stderr.write(`${warn('yellow', `lost the runtime: ${err.message} Reconnecting in ${wait} ms; nothing is lost (the log is the runtime's).`)}\n`),
      onBack: () => process.stderr.write(`${warn('green', `reconnected to ${url}`)}\n`),
    });
  } finally {
    unregister();
  }
  return EXIT.ok;
}
