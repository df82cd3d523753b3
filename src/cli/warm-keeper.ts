// One-shot commands (run, demo) share warm Docker containers across CLI processes (src/sandbox/docker/shared-pool.ts):
// a run claims one a previous run left ready, and leaves one for the next through a detached keeper, which is this
// same CLI started with KEEPER_ARG (index.ts hands it to the keeper before anything else loads).

export const KEEPER_ARG = '--hangar-warm-keeper';
/** An unclaimed shared container is removed after this long. */
const IDLE_MS = 10 * 60_000;

/** argv that starts this CLI as a keeper (under tsx too: the loader flags are in execArgv). */
function keeperCommand(): string[] {
  return [process.execPath, ...process.execArgv, process.argv[1] ?? '', KEEPER_ARG];
}

/** The shared pool a one-shot command gets: HANGAR_WARM_POOL containers per environment (default 1, 0 for none). */
export function sharedPoolOptions(env: NodeJS.ProcessEnv = process.env): { size: number; idleMs: number; keeperCommand: string[] } {
  const raw = env.HANGAR_WARM_POOL ?? '1';
  if (!/^\d+$/.test(raw) || Number(raw) > 8) throw new Error(`HANGAR_WARM_POOL is "${raw}": expected a number of containers from 0 to 8 (0 keeps none)`);
  return { size: Number(raw), idleMs: IDLE_MS, keeperCommand: keeperCommand() };
}
