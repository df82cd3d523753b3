import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { CompareView } from '../../../src/extension/compare/compare-view';
import type { Hangar } from '../../../src/extension/hangar';
import type { ActionResult } from '../../../src/extension/review/review-actions';
import { reply, type Responder } from '../../../src/model/scripted';
import { agentOnModel } from '../../../src/runtime/best-of';
import { ensureKey, hangar, scriptedModel, waitFor, waitForIdle, workspaceDir } from './support';

// Best-of-N in VS Code (issue #13 §4): Hangar: Start Best-of-N… runs one task twice at once with two agents (the
// scripted model tells them apart by their system prompts), the compare view shows both side by side (runtime/best-of.ts's
// rows plus review progress), and the user takes one attempt whole from the view, or hunks from both through their
// reviews: the second attempt's hunk merges onto what the first put in the file, or is a conflict on the same lines.

const FILE = 'src/calc.js';
const ORIGINAL = lines([
  'export function add(a, b) {', '  return a - b;', '}', '', '// helpers', 'const one = 1;', 'const two = 2;', '',
  'export function neg(a) {', '  return a;', '}', '', 'const three = 3;', 'const four = 4;', 'const five = 5;', '',
  'export function mul(a, b) {', '  return a + b;', '}',
]);
// Alpha fixes add (line 2) and neg (line 10); beta fixes neg differently (line 10) and mul (line 18): two hunks each.
const ALPHA = ORIGINAL.replace('  return a - b;', '  return a + b;').replace('  return a;\n', '  return -a;\n');
const MUL = 'export function mul(a, b) {\n  return a + b;';
const MUL_FIXED = 'export function mul(a, b) {\n  return a * b;';
const BETA = ORIGINAL.replace('  return a;\n', '  return 0 - a;\n').replace(MUL, MUL_FIXED);

function lines(l: string[]): string {
  return `${l.join('\n')}\n`;
}

/** Alpha writes, runs `make test` (there is no Makefile: it fails) and finishes; beta writes and finishes. */
const attempts: Responder = (rec) => {
  const system = JSON.stringify(rec.body.system ?? '');
  const alpha = system.includes('ATTEMPT-ALPHA');
  const step = (rec.body.messages.length - 1) / 2;
  if (step === 0) return reply.tool('write', { file_path: FILE, content: alpha ? ALPHA : BETA });
  if (alpha && step === 1) return reply.tool('bash', { command: 'make test' });
  return reply.text(alpha ? 'Alpha done.' : 'Beta done.');
};

export function bestOfSuite(): void {
  describe('best-of-N: start one task twice, compare, accept', function () {
    // Two sessions at once on a loaded machine: the suite's 60 s per test is too short for them to finish.
    this.timeout(240_000);
    let model: Awaited<ReturnType<typeof scriptedModel>>;
    let agents: string[];
    const file = () => path.join(workspaceDir(), FILE);

    before(async () => {
      await ensureKey();
      model = await scriptedModel(attempts);
      const make = (name: string, marker: string) =>
        vscode.commands.executeCommand<string>('hangar.newAgent', { name, model: 'claude-sonnet-5-5', system: `You are ${marker}.`, tools: [{ type: 'agent_toolset_20260401' }] });
      agents = [await make('bo-alpha', 'ATTEMPT-ALPHA'), await make('bo-beta', 'ATTEMPT-BETA')];
    });
    beforeEach(async () => {
      writeFileSync(file(), ORIGINAL);
      await waitFor('VS Code to see the original file', async () => (await vscode.workspace.openTextDocument(file())).getText() === ORIGINAL);
    });
    after(async () => {
      await model.close();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      rmSync(file(), { force: true });
    });

    /** Starts best-of-2 through the command and waits until both attempts finished and the view shows them so. */
    async function bestOfTwo(h: Hangar, choice: { agentIds: string[]; models?: string[] } = { agentIds: agents }): Promise<{ ids: string[]; view: CompareView }> {
      const started = await vscode.commands.executeCommand<{ sessionIds: string[] } | undefined>('hangar.startBestOf', { n: 2, ...choice, task: 'Fix calc.js', folder: workspaceDir() });
      assert.ok(started, 'hangar.startBestOf returned nothing (see the error notification in the log)');
      const ids = started.sessionIds;
      assert.equal(ids.length, 2);
      for (const id of ids) await waitForIdle(h, id, 1, 60_000);
      const view = h.compare.find(ids[0]!);
      assert.ok(view, 'the compare view opened');
      assert.deepEqual(view.sessionIds, ids);
      await view.refresh();
      return { ids, view };
    }

    it('compares the two attempts side by side and accepts one whole from the view, through review', async () => {
      const h = await hangar();
      const { ids, view } = await bestOfTwo(h);
      assert.equal(view.panel.viewType, 'hangar.compare');
      const [alpha, beta] = view.shown;
      assert.deepEqual(
        view.shown.map((a) => [a.id, a.status, a.stop, a.files, a.additions, a.deletions, a.review]),
        [
          [ids[0], 'idle', 'end_turn', 1, 2, 2, { pending: 2, accepted: 0, rejected: 0 }],
          [ids[1], 'idle', 'end_turn', 1, 2, 2, { pending: 2, accepted: 0, rejected: 0 }],
        ],
      );
      assert.deepEqual(alpha!.tests, [{ command: 'make test', passed: false }], 'the failed make test shows for alpha');
      assert.deepEqual(beta!.tests, []);
      assert.match(alpha!.patch, /\+ {2}return -a;/);
      assert.match(beta!.patch, /\+ {2}return a \* b;/);
      assert.ok(view.shown.every((a) => a.costCents > 0 && a.tokens > 0), 'each attempt is priced');

      const accepted = (await view.handle({ type: 'accept', sessionId: ids[0] })) as ActionResult;
      assert.deepEqual(accepted, { accepted: 2, rejected: 0, conflicts: [] });
      assert.equal(readFileSync(file(), 'utf8'), ALPHA, 'the workspace has alpha whole');
      await view.refresh();
      assert.deepEqual(view.shown.map((a) => a.review), [{ pending: 0, accepted: 2, rejected: 0 }, { pending: 2, accepted: 0, rejected: 0 }]);
      assert.equal(await view.handle({ type: 'accept', sessionId: 'sesn_not_compared' }), undefined, 'a session the view does not compare is refused');
      assert.equal(await view.handle({ type: 'accept', sessionId: '../x' }), undefined, 'a malformed request is refused');
      assert.equal(readFileSync(file(), 'utf8'), ALPHA);
    });

    it('takes hunks from both attempts: the second merges onto the first, the same lines are a conflict', async () => {
      const h = await hangar();
      const { ids, view } = await bestOfTwo(h);
      const [alpha, beta] = ids as [string, string];
      await view.handle({ type: 'review', sessionId: beta });
      await waitFor("beta's review diff", () => vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === 'hangar-sandbox' && e.document.uri.toString().includes(beta)));

      const take = (sessionId: string, hunk: number) => vscode.commands.executeCommand<ActionResult>('hangar.acceptHunk', { sessionId, path: FILE, hunk });
      assert.deepEqual(await take(alpha, 1), { accepted: 1, rejected: 0, conflicts: [] });
      assert.deepEqual(await take(alpha, 2), { accepted: 1, rejected: 0, conflicts: [] });
      assert.deepEqual(await take(beta, 2), { accepted: 1, rejected: 0, conflicts: [] }, "beta's mul fix merges onto alpha's file");
      const both = ALPHA.replace(MUL, MUL_FIXED);
      assert.equal(readFileSync(file(), 'utf8'), both);
      const clash = await take(beta, 1);
      assert.equal(clash.accepted, 0);
      assert.match(clash.conflicts[0]?.reason ?? '', /changed the same lines/, "beta's neg fix clashes with alpha's");
      assert.equal(readFileSync(file(), 'utf8'), both, 'a conflict writes nothing');
      await view.refresh();
      assert.deepEqual(view.shown.map((a) => a.review), [{ pending: 0, accepted: 2, rejected: 0 }, { pending: 1, accepted: 1, rejected: 0 }]);
    });

    it("runs one agent on two models in turn: the second attempt on the agent's copy on that model", async () => {
      const h = await hangar();
      const models = ['claude-sonnet-5-5', 'claude-haiku-4-5'];
      const { view } = await bestOfTwo(h, { agentIds: [agents[0]!], models });
      assert.deepEqual(view.shown.map((a) => [a.model, a.stop, a.additions]), [[models[0], 'end_turn', 2], [models[1], 'end_turn', 2]], "both ran alpha's script");
      const alpha = await h.host.runtime.agents.retrieve(agents[0]!);
      const copy = await agentOnModel(h.host.runtime.agents, alpha, models[1]!);
      const stored = await h.host.runtime.agents.retrieve(copy);
      assert.deepEqual([stored.name, stored.model.id, stored.system, stored.version], [`bo-alpha on ${models[1]}`, models[1], alpha.system, 1], 'the copy is made once and reused');
      assert.equal(await agentOnModel(h.host.runtime.agents, alpha, models[0]!), alpha.id, 'the agent itself runs on its own model');
    });

    it('comes back after a window reload: the serializer reopens the view on the attempts its page saved', async () => {
      const h = await hangar();
      const { ids, view } = await bestOfTwo(h);
      view.panel.dispose();
      assert.equal(h.compare.find(ids[0]!), undefined);
      // What VS Code does on reload: a new panel of the view's type, handed to the serializer with the page's saved state.
      const restore = async (state: unknown) => {
        const panel = vscode.window.createWebviewPanel('hangar.compare', 'Compare: Fix calc.js', vscode.ViewColumn.Active);
        let disposed = false;
        panel.onDidDispose(() => (disposed = true));
        await h.compare.deserializeWebviewPanel(panel, state);
        return { panel, disposed: () => disposed };
      };
      const { panel } = await restore({ task: 'Fix calc.js', sessionIds: ids });
      const restored = h.compare.find(ids[0]!);
      assert.ok(restored, 'the restored view is known again');
      assert.equal(restored.panel, panel);
      // Only the restored page's `ready` refreshes it: the attempts arriving show the page loaded and asked.
      await waitFor('the restored page to show both attempts', () => restored.shown.length === 2);
      assert.deepEqual(restored.shown.map((a) => [a.id, a.stop]), [[ids[0], 'end_turn'], [ids[1], 'end_turn']]);

      const twice = await restore({ task: 'Fix calc.js', sessionIds: ids });
      assert.ok(twice.disposed(), 'a second tab for the same attempts is closed');
      assert.equal(h.compare.find(ids[0]!), restored);
      assert.ok((await restore({ task: 't', sessionIds: ['../x'] })).disposed(), 'a saved state that does not parse closes the tab');
      assert.ok((await restore({ task: 't', sessionIds: ['sesn_deleted_since'] })).disposed(), 'a session that is gone closes the tab');
    });

    it('refuses a count outside 1-4 with the range, starting nothing', async () => {
      const h = await hangar();
      const before = (await h.host.runtime.sessions.list({ limit: 1000 })).data.length;
      const result = await vscode.commands.executeCommand('hangar.startBestOf', { n: 5, agentIds: agents, task: 'Fix calc.js', folder: workspaceDir() });
      assert.equal(result, undefined);
      assert.equal((await h.host.runtime.sessions.list({ limit: 1000 })).data.length, before);
    });
  });
}
