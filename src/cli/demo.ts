import { cpSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { startScriptedModel, demoResponder } from '../model/scripted';
import { createAnthropicModel } from '../model/anthropic';
import { applyChanges } from '../review/apply';
import { openCliRuntime } from './env';
import type { ProviderKind } from '../runtime/providers';
import { resolveAgent } from './agents';
import { followTurn } from './session-flow';
import { paint } from './render';
import { EXIT } from './exit-codes';
import { providerForNewSessions } from './providers';
import { progress } from './progress';
import { onShutdown } from './shutdown';
import { packageRoot } from './invocation';

// `hangar demo`: a whole session — tools, diff, apply — on a bundled sample repository against the built-in
// scripted model, with no key and no network. Everything happens in a temp dir.

export async function runDemo(opts: { json: boolean; provider?: ProviderKind }): Promise<number> {
  const p = paint(process.stdout.isTTY === true && !opts.json);
  const work = mkdtempSync(path.join(os.tmpdir(), 'hangar-demo-'));
  const repo = path.join(work, 'sample-repo');
  cpSync(path.join(packageRoot(), 'sandbox', 'sample-repo'), repo, { recursive: true });
  const scripted = await startScriptedModel({ script: demoResponder });
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
      process.stdout.write(p('yellow', 'Demo: the model is Hangar\'s built-in SCRIPTED model (no API key, no network), replaying a fixed bug fix.\n'));
      process.stdout.write(p('dim', `Sample repository copied to ${repo}\n\n`));
    }
    const agent = await resolveAgent(runtime, undefined, undefined);
    const env = await runtime.environments.ensureDefault();
    const session = await runtime.sessions.create({ agent: agent.id, environment_id: env.id, title: 'demo: fix add()', resources: [{ type: 'local_repository', path: repo }] });
    const task = 'The tests fail. Find the bug in src/math.js and fix it, then run the tests.';
    const send = () => runtime.sessions.send(session.id, [{ type: 'user.message', content: [{ type: 'text', text: task }] }]);
    const { code } = await followTurn(runtime, session.id, send, { json: opts.json, yes: true, showDiff: true, applyHint: false, fromSeq: 0 });
    if (code !== EXIT.ok) return code;
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
