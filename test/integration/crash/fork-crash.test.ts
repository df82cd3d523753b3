import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { reply } from '../../../src/model/scripted';
import { RuntimeError } from '../../../src/runtime/errors';
import { FORK_SEED_FILE } from '../../../src/runtime/session-fork';
import type { SessionEvent } from '../../../src/wire';
import { childFixture, makeRuntime } from './child-runtime';

// A fork answers before its sandbox holds its files (session-fork.ts): they are restored in the background, and the
// fork's directory names the checkpoint until they are. Here the forking process is SIGKILLed right after the answer
// (test/fixtures/fork-crash-child.ts), at once and a little later, and a fresh runtime uses the fork: its files are
// exactly the checkpoint's (review's patch byte for byte, the executable bit, a binary file, a deletion), the source's
// later changes are not there, the fork goes on in a sandbox of its own, and a later provision does not restore the
// checkpoint again over the fork's own work. A fork whose source is deleted before it had its files is refused with
// checkpoint_unavailable. On both providers.

const said = (text: string) => [{ type: 'user.message' as const, content: [{ type: 'text' as const, text }] }];
const idles = (events: readonly SessionEvent[]) => events.filter((e) => e.type === 'session.status_idle');

/** Runs the child's fork; it is SIGKILLed `delayMs` after the fork answered. The fork's id. */
function forkAndDie(bundle: string, args: string[], delayMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [bundle, ...args, String(delayMs)], { timeout: 120_000 }, (err, stdout, stderr) => {
      const forked = /^FORKED (\S+)$/m.exec(stdout);
      if (!forked || err?.signal !== 'SIGKILL') return reject(new Error(`the fork child did not fork and die: ${stdout}${stderr}`));
      resolve(forked[1]!);
    });
  });
}

for (const kind of ['local', 'docker'] as const) describe(`crash: a process SIGKILLed while its fork's files are restored in the background (${kind})`, function () {
  // A hang guard, not a speed check.
  this.timeout(600_000);
  const fixture = childFixture(kind, 'test/fixtures/fork-crash-child.ts');

  it('the next runtime restores the checkpoint before the fork is used, once', async () => {
    const { t, bundle, toolServer } = fixture();
    const agent = await t.agent();
    const source = (await t.runtime.sessions.create({ agent, environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] })).id;
    t.model.push(reply.tool('bash', { command: "echo one > notes.txt && printf '#!/bin/sh\\n' > tool.sh && chmod +x tool.sh && printf '\\377\\000bin' > blob.bin && rm README.md" }), reply.text('A'));
    await t.runtime.sessions.send(source, said('first'));
    await t.runtime.settled(source);
    const at = idles(await t.events(source))[0]!.id;
    const patchAt = (await t.runtime.sessions.changes(source)).patch;
    t.model.push(reply.tool('bash', { command: 'rm blob.bin && chmod -x tool.sh && echo two > notes.txt && echo later > later.txt' }), reply.text('B'));
    await t.runtime.sessions.send(source, said('second'));
    await t.runtime.settled(source);
    const patchNow = (await t.runtime.sessions.changes(source)).patch;
    await t.runtime.close();

    let interrupted = 0;
    for (const delay of [0, 150]) {
      const fork = await forkAndDie(bundle, [t.storage, t.model.url, source, at, kind, toolServer], delay);
      const seedFile = path.join(t.storage, 'sessions', fork, FORK_SEED_FILE);
      if (existsSync(seedFile)) interrupted++;
      const rt = makeRuntime(kind, t.storage, t.model.url, `after-kill-${delay}`, toolServer);
      try {
        assert.equal((await rt.sessions.changes(fork)).patch, patchAt, `the fork's files are the checkpoint's (killed ${delay} ms after the answer)`);
        assert.equal((await rt.sessions.readFile(fork, 'blob.bin', 'current'))?.toString('latin1'), '\xff\x00bin');
        assert.equal(await rt.sessions.readFile(fork, 'README.md', 'current'), null);
        assert.equal(await rt.sessions.readFile(fork, 'later.txt', 'current'), null);
        assert.equal(existsSync(seedFile), false, 'the seed is done');
        t.model.push(reply.tool('write', { file_path: 'fork-only.txt', content: 'mine\n' }), reply.text('fork done'));
        await rt.sessions.send(fork, said('go on'));
        await rt.settled(fork);
      } finally {
        await rt.close();
      }
      const again = makeRuntime(kind, t.storage, t.model.url, `again-${delay}`, toolServer);
      try {
        assert.equal((await again.sessions.readFile(fork, 'fork-only.txt', 'current'))?.toString(), 'mine\n', "a later provision keeps the fork's own work");
        assert.equal((await again.sessions.readFile(fork, 'notes.txt', 'current'))?.toString(), 'one\n');
        assert.equal((await again.sessions.changes(source)).patch, patchNow, 'the source keeps its files');
        assert.equal(await again.sessions.readFile(source, 'fork-only.txt', 'current'), null, "the fork's sandbox is its own");
      } finally {
        await again.close();
      }
    }
    assert.ok(interrupted >= 1, 'at least one kill came before the fork had its files');

    // A fork whose source is deleted before it had its files says so, instead of starting from other files.
    const orphan = await forkAndDie(bundle, [t.storage, t.model.url, source, at, kind, toolServer], 0);
    assert.ok(existsSync(path.join(t.storage, 'sessions', orphan, FORK_SEED_FILE)), 'killed before the fork had its files');
    const rt = makeRuntime(kind, t.storage, t.model.url, 'orphan', toolServer);
    try {
      await rt.deleteSession(source);
      await assert.rejects(rt.sessions.changes(orphan), (e: unknown) => e instanceof RuntimeError && e.status === 409 && e.code === 'checkpoint_unavailable' && /forked from was deleted/.test(e.message));
    } finally {
      await rt.close();
    }
  });
});
