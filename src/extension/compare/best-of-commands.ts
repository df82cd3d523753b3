import * as vscode from 'vscode';
import * as z from 'zod';
import { formatCost } from '../../format/cost';
import { BEST_OF_MAX, checkBestOf } from '../../runtime/best-of';
import { guarded, resolveSession } from '../commands/args';
import { workspaceWithProgress } from '../connection/workspace-progress';
import { listAgents } from '../commands/agent-commands';
import { modelPickItems } from '../commands/model-commands';
import { pickFolder } from '../commands/session-commands';
import { titleFrom } from '../format';
import type { Hangar } from '../hangar';

// Hangar: Start Best-of-N… starts one task 1-4 times at once (runtime/best-of.ts: a session and sandbox each), the same
// agent every time, one agent on several models, or several agents, in turn; then it opens the compare view. Hangar:
// Compare Sessions… opens that view on sessions picked from the list. A caller passes {n, agentIds, models, task,
// folder} to skip the questions (tests do).

const StartArgs = z.object({
  n: z.number().optional(),
  agentIds: z.array(z.string().min(1)).min(1).optional(),
  /** With one agent: the models the attempts take in turn (the agent's copy on each: runtime/best-of.ts#agentOnModel). */
  models: z.array(z.string().min(1)).min(1).max(BEST_OF_MAX).optional(),
  task: z.string().trim().min(1).max(100_000).optional(),
  folder: z.string().min(1).optional(),
});
const CompareArgs = z.looseObject({ sessionIds: z.array(z.string().min(1)).min(1).max(BEST_OF_MAX), task: z.string().optional() });

export function registerBestOfCommands(h: Hangar): vscode.Disposable[] {
  const reg = (id: string, run: (...args: unknown[]) => Promise<unknown>) => vscode.commands.registerCommand(id, guarded(h, id, run));
  return [
    reg('hangar.startBestOf', async (arg) => {
      const given = StartArgs.safeParse(arg ?? {});
      if (!given.success) throw new Error(`Best-of takes {n, agentIds, task, folder}: ${z.prettifyError(given.error)}`);
      const opts = given.data;
      const folder = opts.folder ?? (await pickFolder());
      if (!folder) return undefined;
      const n = opts.n ?? (await pickCount());
      if (n === undefined) return undefined;
      checkBestOf(n);
      const picked = opts.agentIds ?? (await pickAgents(h, n));
      if (!picked) return undefined;
      if (opts.models && picked.length > 1) throw new Error('Models go with one agent (its copy runs on each model); with several agents, each runs on its own model.');
      const models = opts.models ?? (picked.length === 1 && !opts.agentIds ? await pickModels(h, picked[0]!, n) : undefined);
      if (models === null) return undefined;
      // A detached runtime holds its own keys.
      if (!h.host.detached && !models) {
        for (const id of new Set(picked)) {
          const agent = await h.host.client.retrieveAgent(id);
          if (!(await h.host.runtime.modelProviders.hasKey(agent.model.id))) throw new Error(`${agent.name}'s model ${agent.model.id} needs an API key: run Hangar: Set API Key first.`);
        }
      }
      if (!h.host.detached && models) {
        for (const model of new Set(models)) if (!(await h.host.runtime.modelProviders.hasKey(model))) throw new Error(`The model ${model} needs an API key: run Hangar: Set API Key first.`);
      }
      const task = opts.task ?? (await vscode.window.showInputBox({ title: `Hangar: Best of ${n}`, prompt: `What should each of the ${n} attempts do?`, ignoreFocusOut: true }));
      if (!task?.trim()) return undefined;
      const env = await h.host.environment();
      const vaultIds = await h.host.vaultIds();
      const ids = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Hangar: starting ${n} attempts`, cancellable: true }, async (progress, token) => {
        // A runtime that cannot read the folder gets it uploaded once; every attempt starts from that upload.
        const repo = await workspaceWithProgress(h.host.client, folder, progress, token);
        if (!repo) return undefined;
        return h.host.client.bestOf.start({
          n,
          agents: picked,
          ...(models ? { models } : {}),
          environment_id: env.id,
          resources: [repo],
          vault_ids: vaultIds,
          title: titleFrom(task),
          first: { type: 'user.message', content: [{ type: 'text', text: task }] },
        });
      });
      if (!ids) return undefined;
      // The agent's copy on each model is made or updated with the attempts.
      if (models) h.agentsTree.refresh();
      for (const id of ids) h.sessions.added(id);
      await h.compare.show(ids, task).refresh();
      return { sessionIds: ids };
    }),
    reg('hangar.compareSessions', async (arg) => {
      const given = CompareArgs.safeParse(arg);
      const ids = given.success ? given.data.sessionIds : await pickSessions(h, arg);
      if (!ids) return undefined;
      const task = given.data?.task ?? (await h.host.client.retrieveSession(ids[0]!)).title ?? 'sessions';
      await h.compare.show(ids, task).refresh();
      return ids;
    }),
  ];
}

async function pickCount(): Promise<number | undefined> {
  const items = [2, 3, 4, 1].map((n) => ({ label: String(n), description: n === 1 ? 'one attempt (a plain session, with the compare view)' : `${n} attempts at once, each in a sandbox of its own`, n }));
  return (await vscode.window.showQuickPick(items, { title: 'Hangar: Best of N', placeHolder: 'How many attempts?' }))?.n;
}

/** One agent (every attempt uses it) or several (they take the attempts in turn: one per model compares models). */
async function pickAgents(h: Hangar, n: number): Promise<string[] | undefined> {
  const agents = await listAgents(h);
  if (agents.length === 0) throw new Error('There are no agents yet: create one with Hangar: New Agent first.');
  const picks = await vscode.window.showQuickPick(
    agents.map((a) => ({ label: a.name, description: `${a.model.id} · v${a.version}`, detail: a.description ?? undefined, id: a.id })),
    { title: `Hangar: Best of ${n}`, placeHolder: 'Which agents? One: every attempt uses it. Several (e.g. on different models): they take the attempts in turn.', canPickMany: true, matchOnDescription: true },
  );
  if (!picks || picks.length === 0) return undefined;
  if (picks.length > n) throw new Error(`${picks.length} agents were picked for ${n} attempts: pick at most ${n}, or more attempts.`);
  return picks.map((p) => p.id);
}

/** The models one agent's attempts take in turn (its own model picked first); null when the pick was dismissed. */
async function pickModels(h: Hangar, agentId: string, n: number): Promise<string[] | null> {
  const own = (await h.host.client.retrieveAgent(agentId)).model.id;
  const items = (await modelPickItems(h.host.client)).map((i) => ({ ...i, buttons: [], picked: i.model === own }));
  const picks = await vscode.window.showQuickPick(items, {
    title: `Hangar: Best of ${n}`,
    placeHolder: `Which models? The attempts take them in turn (only ${own}: every attempt on the agent's own model).`,
    canPickMany: true,
    matchOnDescription: true,
  });
  if (!picks) return null;
  const models = picks.flatMap((p) => (p.model ? [p.model] : []));
  return models.length === 0 ? [own] : models;
}

/** The sessions to compare: the one the argument names and others picked with it, 1 to 4. */
async function pickSessions(h: Hangar, arg: unknown): Promise<string[] | undefined> {
  const first = arg === undefined ? undefined : await resolveSession(h, arg, 'Compare which session?');
  const views = await h.sessions.list();
  const picks = await vscode.window.showQuickPick(
    views.map((v) => ({ label: v.title, description: `${v.status} · ${formatCost(v.costCents)}`, detail: v.id, id: v.id, picked: v.id === first })),
    { title: 'Hangar: Compare Sessions', placeHolder: `Pick 2 to ${BEST_OF_MAX} sessions to see side by side`, canPickMany: true, matchOnDetail: true },
  );
  if (!picks || picks.length === 0) return undefined;
  if (picks.length > BEST_OF_MAX) throw new Error(`The compare view shows up to ${BEST_OF_MAX} sessions; ${picks.length} were picked.`);
  return picks.map((p) => p.id);
}
