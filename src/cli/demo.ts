import { cpSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { startScriptedModel, demoResponder, demoMultiResponder, DEMO_MULTI_AGENTS } from '../model/scripted';
import { createAnthropicModel } from '../model/anthropic';
import { applyChanges } from '../review/apply';
import { openCliRuntime } from './env';
import type { ProviderKind } from '../runtime/providers';
import { resolveAgent } from './agents';
import { DEFAULT_AGENT } from '../runtime/defaults';
import type { Runtime } from '../runtime';
import { threadCosts } from './thread-costs';
import { threadTable } from './thread-lines';
import { followTurn } from './session-flow';
import { paint } from './render';
import { EXIT } from './exit-codes';
import { providerForNewSessions } from './providers';
import { progress } from './progress';
import { onShutdown } from './shutdown';
import { packageRoot } from './invocation';

// `hangar demo`: a whole session — tools, diff, apply — on a bundled sample repository against the built-in
// scripted model, with no key and no network. Everything happens in a temp dir. With `multi`, a coordinator splits the
// work between two sub-agents that run at the same time, in threads of the one session.

const TASKS = {
  single: { title: 'demo: fix add()', text: 'The tests fail. Find the bug in src/math.js and fix it, then run the tests.' },
  multi: { title: 'demo: fix and document math.js (multi-agent)', text: 'The tests fail and src/math.js has no documentation. Fix the bug and document the module; split the work between your sub-agents.' },
};

export async function runDemo(opts: { json: boolean; provider?: ProviderKind; multi?: boolean }): Promise<number> {
  const p = paint(process.stdout.isTTY === true && !opts.json);
  const work = mkdtempSync(path.join(os.tmpdir(), 'hangar-demo-'));
  const repo = path.join(work, 'sample-repo');
  cpSync(path.join(packageRoot(), 'sandbox', 'sample-repo'), repo, { recursive: true });
  const scripted = await startScriptedModel({ script: opts.multi ? demoMultiResponder : demoResponder });
  const storage = path.join(work, 'storage');
  const runtime = await openCliRuntime({
    storage,
    sandbox: await providerForNewSessions(storage, opts.provider ?? 'auto', (m) => process.stderr.write(`${p('yellow', m)}\n`)),
    onProgress: progress,
    model: createAnthropicModel({ apiKey: async () => 'scripted', baseURL: scripted.url }),
  });
  const unregister = onShutdown(async () => {
    unregister();
    await runtime.close();
    await scripted.close();
  });
  try {
    if (!opts.json) {
      process.stdout.write(p('yellow', `Demo: the model is Hangar's built-in SCRIPTED model (no API key, no network), replaying ${opts.multi ? 'a coordinator and two sub-agents (fixer, documenter) working in parallel' : 'a fixed bug fix'}.\n`));
      process.stdout.write(p('dim', `Sample repository copied to ${repo}\n\n`));
    }
    const agent = opts.multi ? await demoCoordinator(runtime) : (await resolveAgent(runtime, undefined, undefined)).id;
    const env = await runtime.environments.ensureDefault();
    const task = TASKS[opts.multi ? 'multi' : 'single'];
    const session = await runtime.sessions.create({ agent, environment_id: env.id, title: task.title, resources: [{ type: 'local_repository', path: repo }] });
    const send = () => runtime.sessions.send(session.id, [{ type: 'user.message', content: [{ type: 'text', text: task.text }] }]);
    const { code } = await followTurn(runtime, session.id, send, { json: opts.json, yes: true, showDiff: true, applyHint: false, fromSeq: 0 });
    if (code !== EXIT.ok) return code;
    if (opts.multi && !opts.json) await printThreads(runtime, session.id, p);
    const changes = await runtime.sessions.changes(session.id);
    const applied = await applyChanges(repo, changes, (f, side) => runtime.sessions.readFile(session.id, f, side));
    if (!opts.json) {
      process.stdout.write(p('bold', `\nApplied ${applied.applied.join(', ')} to the sample repository. Its tests now say:\n`));
      process.stdout.write(execFileSync('node', ['test.js'], { cwd: repo, encoding: 'utf8' }));
    }
    return EXIT.ok;
  } finally {
    // The demo's storage is temporary: its sandboxes (containers, with Docker) go with it.
    for (const id of await runtime.sessions.ids()) await runtime.deleteSession(id).catch(() => undefined);
    unregister();
    await runtime.close();
    await scripted.close();
  }
}

/** The coordinator and its two roster agents (the default coding agent under other names). */
async function demoCoordinator(runtime: Runtime): Promise<string> {
  const member = (name: string, description: string) => runtime.agents.create({ ...DEFAULT_AGENT, name, description });
  const fixer = await member(DEMO_MULTI_AGENTS.fixer, 'Fixes failing tests.');
  const documenter = await member(DEMO_MULTI_AGENTS.documenter, 'Writes documentation.');
  const lead = await runtime.agents.create({
    ...DEFAULT_AGENT,
    name: DEMO_MULTI_AGENTS.lead,
    description: 'Splits the work between sub-agents.',
    multiagent: { type: 'coordinator', agents: [fixer.id, documenter.id] },
  });
  return lead.id;
}

/** Each thread's status and cost; the session's cost is their sum. */
async function printThreads(runtime: Runtime, sessionId: string, p: ReturnType<typeof paint>): Promise<void> {
  process.stdout.write(p('bold', '\nThreads (each priced with its own model; the summary is their sum):\n'));
  for (const line of threadTable(await threadCosts(runtime, sessionId))) process.stdout.write(`  ${line}\n`);
}
