import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { reply } from '../../../src/model/scripted';
import type { EventOf, SessionEvent } from '../../../src/wire';
import { childFixture, makeRuntime } from './child-runtime';
import { rng } from './cli-trials';

// A process SIGKILLed in the middle of a rewind (runtime/checkpoints.ts): the session has two checkpoints, A and B,
// hundreds of files apart; each trial starts a child (test/fixtures/rewind-crash-child.ts) that rewinds to the one
// the files are not at, kills it at a random moment of that rewind, wakes the session in a fresh runtime and checks:
// the wake only appended; the files are exactly one checkpoint's (review's patch byte for byte), the new one when the
// log holds the trial's hangar.rewind and the old one when it does not; every rewind in the log is followed by its
// `rewound` checkpoint; and the next trial's rewind (a repeated one) works from there. On both providers (Docker's
// restore runs in the container, which a kill of the host process does not stop). Seeded: a failure names the seed
// and trial to replay (HANGAR_CRASH_SEED); HANGAR_REWIND_CRASH_TRIALS sets the count.

const TRIALS = Number(process.env.HANGAR_REWIND_CRASH_TRIALS ?? 12);
const SEED = Number(process.env.HANGAR_CRASH_SEED ?? Date.now() % 1_000_000);
/** Files the second turn adds, so a rewind between the checkpoints has enough to write to be cut in the middle. */
const GENERATED = 400;

type Checkpoint = EventOf<'hangar.checkpoint'>;
const said = (text: string) => [{ type: 'user.message' as const, content: [{ type: 'text' as const, text }] }];
const idleCheckpoints = (events: readonly SessionEvent[]) => events.filter((e): e is Checkpoint => e.type === 'hangar.checkpoint' && e.trigger === 'idle');

/** Runs the child's rewind and SIGKILLs it `delayMs` after it is ready (null: once it is done); its rewind's time. */
function killDuringRewind(bundle: string, args: string[], delayMs: number | null): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let took: number | null = null;
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (/^READY$/m.test(out) && delayMs !== null && !child.killed) setTimeout(() => child.kill('SIGKILL'), delayMs);
      const done = /^DONE (\d+)$/m.exec(out);
      if (done) {
        took = Number(done[1]);
        if (delayMs === null) child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (_code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL' || !/^READY$/m.test(out)) return reject(new Error(`the rewind child ended on its own or before it was ready: ${out}${err}`));
      resolve(took);
    });
  });
}

/** Each hangar.rewind is followed by its `rewound` checkpoint before anything else records files. */
function assertRewindsFinished(events: readonly SessionEvent[]): void {
  events.forEach((e, i) => {
    if (e.type !== 'hangar.rewind') return;
    const next = events.slice(i + 1).find((x) => x.type === 'hangar.rewind' || (x.type === 'hangar.checkpoint' && x.trigger !== 'before_rewind'));
    assert.ok(next?.type === 'hangar.checkpoint' && next.trigger === 'rewound' && next.tree === e.tree, `rewind ${e.id} is followed by its rewound checkpoint`);
  });
}

for (const kind of ['local', 'docker'] as const) describe(`crash: a process SIGKILLed during a rewind (${kind})`, function () {
  // A hang guard, not a speed check.
  this.timeout(TRIALS * 60_000 + 180_000);
  const fixture = childFixture(kind, 'test/fixtures/rewind-crash-child.ts');

  it(`${TRIALS} kills during rewinds between two checkpoints: the files are one checkpoint's, the log says which, and the next rewind works (seed ${SEED})`, async () => {
    const { t, bundle, toolServer } = fixture();
    const agent = await t.agent();
    const id = (await t.runtime.sessions.create({ agent, environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] })).id;
    t.model.push(reply.tool('bash', { command: "echo one > notes.txt && printf '#!/bin/sh\\n' > tool.sh && chmod +x tool.sh && printf '\\377\\000bin' > blob.bin" }), reply.text('A'));
    await t.runtime.sessions.send(id, said('first'));
    await t.runtime.settled(id);
    t.model.push(
      reply.tool('bash', { command: `rm blob.bin && chmod -x tool.sh && echo two > notes.txt && rm README.md && mkdir gen && for i in $(seq ${GENERATED}); do echo "file $i" > gen/$i.txt; done` }),
      reply.text('B'),
    );
    await t.runtime.sessions.send(id, said('second'));
    await t.runtime.settled(id);
    const [ckA, ckB] = idleCheckpoints(await t.events(id)) as [Checkpoint, Checkpoint];
    const patches = new Map<string, string>();
    patches.set(ckB.tree, (await t.runtime.sessions.changes(id)).patch);
    await t.runtime.sessions.rewind(id, ckA.checkpoint_id);
    patches.set(ckA.tree, (await t.runtime.sessions.changes(id)).patch);
    assert.notEqual(patches.get(ckA.tree), patches.get(ckB.tree));
    await t.runtime.close();

    const random = rng(SEED);
    let at = ckA;
    let took = 50;
    const outcomes = { notLogged: 0, repaired: 0, finished: 0 };
    for (let trial = 0; trial < TRIALS; trial++) {
      const target = at === ckA ? ckB : ckA;
      // The first trial runs uncut, to learn how long a rewind takes here; the others are killed within about that.
      const delay = trial === 0 ? null : Math.floor(random() * took * 1.3);
      const rt = makeRuntime(kind, t.storage, t.model.url, `rewind-trial-${trial}`, toolServer);
      try {
        const before = (await rt.sessions.listEvents(id, { limit: 100_000 })).data.length;
        const measured = await killDuringRewind(bundle, [t.storage, t.model.url, id, target.checkpoint_id, kind, toolServer], delay);
        if (trial === 0) took = measured ?? took;
        const cut = (await rt.sessions.listEvents(id, { limit: 100_000 })).data;
        await rt.sessions.wake(id);
        await rt.settled(id);
        const after = (await rt.sessions.listEvents(id, { limit: 100_000 })).data;
        assert.deepEqual(after.slice(0, cut.length).map((e) => e.id), cut.map((e) => e.id), 'the wake only appended');
        const logged = cut.slice(before).some((e) => e.type === 'hangar.rewind' && e.checkpoint_id === target.checkpoint_id);
        const rewoundBeforeKill = cut.slice(before).some((e) => e.type === 'hangar.checkpoint' && e.trigger === 'rewound');
        outcomes[!logged ? 'notLogged' : rewoundBeforeKill ? 'finished' : 'repaired'] += 1;
        const expected = logged ? target : at;
        assert.equal((await rt.sessions.changes(id)).patch, patches.get(expected.tree), `the files are exactly checkpoint ${logged ? 'rewound to' : 'of before the rewind'}`);
        assertRewindsFinished(after);
        const last = after.findLast((e) => e.type === 'hangar.rewind' || (e.type === 'hangar.checkpoint' && e.trigger !== 'before_rewind'));
        assert.ok(last && 'tree' in last && last.tree === expected.tree, 'the log names the files the sandbox holds');
        at = expected;
      } catch (err) {
        throw new Error(`seed ${SEED}, trial ${trial} (kill ${delay === null ? 'after the rewind' : `${delay} ms after it started`}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      } finally {
        await rt.close();
      }
    }
    assert.ok(outcomes.finished + outcomes.repaired + outcomes.notLogged === TRIALS, JSON.stringify(outcomes));

    // After all the kills, a rewind in this process still works and the conversation continues from its checkpoint.
    const rt = makeRuntime(kind, t.storage, t.model.url, 'rewind-after-trials', toolServer);
    try {
      const target = at === ckA ? ckB : ckA;
      await rt.sessions.rewind(id, target.checkpoint_id);
      assert.equal((await rt.sessions.changes(id)).patch, patches.get(target.tree));
      t.model.push(reply.text('after the kills'));
      await rt.sessions.send(id, said('go on'));
      await rt.settled(id);
      const request = JSON.stringify(t.model.requests.at(-1)?.body);
      assert.match(request, target === ckA ? /"A"/ : /"B"/);
      if (target === ckA) assert.doesNotMatch(request, /"second"/, 'nothing after checkpoint A');
    } finally {
      await rt.close();
    }
  });
});
