import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { Runtime } from '../runtime';
import type { FileMetadata, FileResourceParams } from '../wire';
import { withRuntime, type Common } from './context';
import { EXIT } from './exit-codes';

// Files in and out of sessions: `hangar run --file PATH` uploads files and mounts them in the new session (read-only,
// at /mnt/session/uploads/<file_id>); `hangar files <session>` lists what the agent left in /mnt/session/outputs/
// (captured into the Files API after each turn) and `--save DIR` downloads them.

/** Commander's collector for a repeatable option. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Uploads the files the user named; each becomes a `file` resource of the session about to be created. */
export async function uploadFiles(rt: Runtime, paths: readonly string[]): Promise<FileResourceParams[]> {
  const out: FileResourceParams[] = [];
  for (const p of paths) out.push({ type: 'file', file_id: (await rt.files.uploadPath(path.resolve(p))).id });
  return out;
}

/** Every output a session's agent left, oldest first. */
export async function sessionOutputs(rt: Runtime, sessionId: string): Promise<FileMetadata[]> {
  await rt.sessions.record(sessionId);
  const all: FileMetadata[] = [];
  for (let page: string | undefined; ; ) {
    const res = await rt.files.list({ scope_id: sessionId, limit: 1000, page });
    all.push(...res.data);
    if (!res.next_page) return all.reverse();
    page = res.next_page;
  }
}

/**
 * Where each output is saved in `dir`: its name, or, when two outputs share a name (same name in two folders of
 * outputs/), the later ones prefixed with their file id. Names are base names already; taken again in case.
 */
export function saveNames(outputs: readonly FileMetadata[]): Map<string, string> {
  const taken = new Set<string>();
  const names = new Map<string, string>();
  for (const o of outputs) {
    const base = path.basename(o.filename);
    const name = taken.has(base) ? `${o.id}-${base}` : base;
    taken.add(name);
    names.set(o.id, name);
  }
  return names;
}

export function addFileCommands(program: Command, common: () => Common, finish: (code: number) => void): void {
  program
    .command('attach')
    .description('attach files to an existing session: mounted read-only at /mnt/session/uploads/<file_id> at once, and named to the agent with your next message')
    .argument('<session>')
    .argument('<paths...>')
    .action(async (id: string, paths: string[]) =>
      finish(
        await withRuntime(common(), { for: 'session', id, needsSandbox: true }, async (rt) => {
          for (const params of await uploadFiles(rt, paths)) {
            const r = await rt.attachments.add(id, params);
            process.stdout.write(common().json === true ? `${JSON.stringify(r)}\n` : `${r.file_id}  ${r.mount_path}\n`);
          }
          return EXIT.ok;
        }),
      ),
    );

  program
    .command('files')
    .description("list what a session's agent left in /mnt/session/outputs/ (captured after each turn); --save DIR downloads them")
    .argument('<session>')
    .option('--save <dir>', 'download the outputs into this directory (made if missing; a file of the same name is replaced)')
    .action(async (id: string, o: { save?: string }) =>
      finish(
        await withRuntime(common(), { for: 'session', id, needsSandbox: false }, async (rt) => {
          const outputs = await sessionOutputs(rt, id);
          const json = common().json === true;
          if (outputs.length === 0 && !json) process.stdout.write(`Session ${id} has no outputs yet: its agent writes them to /mnt/session/outputs/.\n`);
          const names = saveNames(outputs);
          if (o.save) await mkdir(o.save, { recursive: true });
          for (const f of outputs) {
            const saved = o.save ? path.join(path.resolve(o.save), names.get(f.id)!) : null;
            if (saved) await pipeline(createReadStream((await rt.files.content(f.id)).path), createWriteStream(saved));
            if (json) process.stdout.write(`${JSON.stringify(saved ? { ...f, hangar: { saved_to: saved } } : f)}\n`);
            else process.stdout.write(`${f.id}  ${String(f.size_bytes).padStart(10)}  ${f.created_at.slice(0, 19)}  ${f.filename}${saved ? `  -> ${saved}` : ''}\n`);
          }
          return EXIT.ok;
        }),
      ),
    );
}
