import type { Common } from './context';
import { EXIT } from './exit-codes';
import { onRuntime } from './remote-flags';
import { paint } from './render';
import { defaultStorage } from './storage-dir';
import { UsageError } from './session-commands';

// What `hangar events` does (session-commands.ts defines it). The whole log is printed from the stored log, so this
// module loads only that: the runtime, the follower, the review code and the wire schemas of the other session
// actions (session-actions.ts) are loaded for --follow and --thread alone (issue #17, hangar events).

export async function printEvents(c: Common, id: string, o: { follow?: boolean; thread?: string }): Promise<number> {
  const json = c.json === true;
  return (
    (await onRuntime(c, async (client, url) => {
      if (o.thread !== undefined) throw new UsageError('--thread works on this machine\'s storage only; with --runtime, events prints the whole session.');
      return (await import('./remote')).remoteEvents(client, url, id, { follow: o.follow === true, json });
    })) ??
    (!o.follow && o.thread === undefined ? await printStoredEvents(c, id, json) : undefined) ??
    (await import('./session-actions')).runtimeEvents(c, id, o)
  );
}

/**
 * All events, streamed from the log without opening a runtime (no harness, tools or sandbox code to load), each write
 * waiting for the terminal or pipe to take the last. As JSON lines, an event's JSON is printed as stored; as text, each
 * record is rendered. The whole log is printed, so each sub-agent's name is learnt from its thread's creation, which
 * precedes what the thread does: the log is not folded for the session's threads.
 */
async function printStoredEvents(c: Common, id: string, json: boolean): Promise<number> {
  const storage = c.storage ?? defaultStorage();
  const { storedEventLines, storedEventRecords } = await import('../runtime/event-lines');
  if (json) {
    for await (const chunk of storedEventLines(storage, id)) await print(chunk);
    return EXIT.ok;
  }
  const [{ ThreadLines }, { renderRecords }] = await Promise.all([import('./thread-lines'), import('./event-text')]);
  const lines = new ThreadLines(paint(process.stdout.isTTY === true), id);
  for await (const chunk of storedEventRecords(storage, id)) for (const text of renderRecords(lines, chunk)) await print(text);
  return EXIT.ok;
}

/** Writes `text` and, when the terminal or pipe has enough queued, waits for it to take it. */
async function print(text: string | Buffer): Promise<void> {
  if (text.length > 0 && !process.stdout.write(text)) await drained(process.stdout);
}

/** Resolves when the stream takes more output. A closed pipe ends the process instead (shutdown.ts: exit 141), quietly. */
function drained(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => stream.once('drain', resolve));
}
