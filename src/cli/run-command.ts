import path from 'node:path';
import type { BudgetLimit } from '../wire';
import { MISSING_KEY_MESSAGE } from '../model/anthropic';
import { resolveAgent } from './agents';
import { runBestOf } from './best-of';
import { runBudget } from './budget-commands';
import { withRuntime, type Common } from './context';
import { EXIT } from './exit-codes';
import { uploadFiles } from './file-commands';
import { firstEvent, outcomeExit, type OutcomeFlags } from './outcome-run';
import { paint } from './render';
import { UsageError } from './session-commands';
import { followTurn } from './session-flow';

// What `hangar run` does (main.ts defines it): loaded when it runs, so other commands never compile the agent, model
// and follow code.

export type RunFlags = { repo?: string; agent?: string; model?: string; yes?: boolean; file?: string[]; budget?: BudgetLimit; bestOf?: number; models?: string[] } & OutcomeFlags;

export async function runTask(c: Common, task: string, o: RunFlags): Promise<number> {
  if (o.models && o.bestOf === undefined) throw new UsageError('--models goes with --best-of N (the attempts the models take in turn).');
  if (o.bestOf !== undefined && o.rubric !== undefined) throw new UsageError('--best-of and --rubric do not go together yet: grade one session at a time.');
  const first = await firstEvent(task, o);
  return withRuntime(c, { for: 'new' }, async (rt) => {
    const repo = path.resolve(o.repo ?? process.cwd());
    const agent = await resolveAgent(rt, o.agent, o.model);
    // The built-in provider needs a key; a configured one may not (a local server), and says so itself if it does.
    if (!(await rt.modelProviders.hasKey(agent.model.id))) {
      process.stderr.write(`${MISSING_KEY_MESSAGE}\n`);
      return EXIT.usage;
    }
    const env = await rt.environments.ensureDefault();
    const files = await uploadFiles(rt, o.file ?? []);
    const budget = runBudget(o.budget);
    if (o.bestOf !== undefined) {
      if (budget) throw new UsageError('--best-of does not take a budget yet: each attempt would need its own.');
      const agents = o.models ? await Promise.all(o.models.map((m) => resolveAgent(rt, o.agent, m))) : [agent];
      const resources = [{ type: 'local_repository' as const, path: repo }, ...files];
      return runBestOf(rt, { n: o.bestOf, agents: agents.map((a) => a.id), environment_id: env.id, resources, title: task.slice(0, 72), first }, { json: c.json === true, yes: o.yes === true });
    }
    const session = await rt.sessions.create({ agent: agent.id, environment_id: env.id, title: task.slice(0, 80), resources: [{ type: 'local_repository', path: repo }, ...files], ...(budget ? { budget } : {}) });
    if (!c.json) {
      const header = `session ${session.id} · agent ${agent.name} v${agent.version} · ${agent.model.id} · ${rt.options.sandbox.kind} sandbox · repo ${repo}`;
      process.stdout.write(`${paint(process.stdout.isTTY === true)('dim', header)}\n`);
    }
    // From the first event: what the session logged at creation (an MCP server that failed to connect) shows too.
    const send = () => rt.sessions.send(session.id, [first]);
    const { code } = await followTurn(rt, session.id, send, { json: c.json === true, liveOutput: c.liveOutput === true, yes: o.yes === true, showDiff: true, fromSeq: 0 });
    return first.type === 'user.define_outcome' ? outcomeExit(rt, session.id, code, c.json === true) : code;
  });
}
