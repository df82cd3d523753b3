import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { reply } from '../../../src/model/scripted';
import type { Session } from '../../../src/wire';
import { ensureKey, events, hangar, scriptedModel, startAgent, waitForIdle } from './support';

// Hangar: Fork Session… in a real VS Code agrees with the API's and the CLI's fork: the new session has the
// conversation up to the chosen turn's end and the files of that moment, is not started by the fork, and goes on
// with the user's next message.

export function forkSuite(): void {
  describe('fork: a session from the end of a turn', function () {
    this.timeout(180_000);

    it("forks at the first turn's end: that turn's files, not woken, and it continues on a message", async () => {
      const h = await hangar();
      await ensureKey();
      const model = await scriptedModel([
        reply.tool('write', { file_path: 'fork-note.txt', content: 'one\n' }),
        reply.text('first done'),
        reply.tool('write', { file_path: 'fork-note.txt', content: 'two\n' }),
        reply.text('second done'),
        reply.text('the fork goes on'),
      ]);
      try {
        const sessions = h.host.runtime.sessions;
        const source = await startAgent(h, 'Write one');
        const first = await waitForIdle(h, source, 1, 120_000);
        await sessions.send(source, [{ type: 'user.message', content: [{ type: 'text', text: 'Write two' }] }]);
        await waitForIdle(h, source, 2, 120_000);
        const at = first.filter((e) => e.type === 'session.status_idle')[0]!.id;
        const asked = model.requests.length;

        const forked = await vscode.commands.executeCommand<Session | undefined>('hangar.forkSession', { sessionId: source, at });
        assert.ok(forked, 'the command forks');
        assert.equal(forked.status, 'idle');
        assert.equal((await sessions.readFile(forked.id, 'fork-note.txt', 'current'))?.toString(), 'one\n', "the files of the turn's end");
        assert.equal((await sessions.readFile(source, 'fork-note.txt', 'current'))?.toString(), 'two\n', 'the source keeps its own');
        assert.equal(model.requests.length, asked, 'forking asked the model nothing');
        const copied = await events(h, forked.id);
        assert.equal(copied.at(-1)?.id, at, 'the log ends at the chosen event');

        await sessions.send(forked.id, [{ type: 'user.message', content: [{ type: 'text', text: 'Go on' }] }]);
        const after = await waitForIdle(h, forked.id, 2, 120_000);
        assert.ok(after.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes('the fork goes on')));
        assert.doesNotMatch(JSON.stringify(model.requests.at(-1)?.body), /second done/, 'the fork has nothing of the source after the event');
      } finally {
        await model.close();
      }
    });
  });
}
