import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startScriptedModel, demoResponder } from '../model/scripted';
import { createAnthropicModel } from '../model/anthropic';
import { applyChanges } from '../review/apply';
import { openCliRuntime } from './env';
import type { ProviderKind } from '../runtime/providers';
import { resolveAgent } from './agents';
import { followTurn } from './session-flow';
import { paint } from './render';
import { EXIT } from './exit-codes';

// `hangar demo`: a whole session — tools, diff, apply — on a bundled sample repository against the built-in
// scripted model, with no key and no network. Everything happens in a temp dir.

export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) || !existsSync(path.join(dir, 'sandbox', 'sample-repo'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the Hangar package (sandbox/sample-repo) next to this program');
    dir = up;
  }
  return dir;
}

export async function runDemo(opts: { json: boolean; provider?: ProviderKind }): Promise<number> {
  const p = paint(process.stdout.isTTY === true && !opts.json);
  const work = mkdtempSync(path.join(os.tmpdir(), 'hangar-demo-'));
  const repo = path.join(work, 'sample-repo');
  cpSync(path.join(packageRoot(), 'sandbox', 'sample-repo'), repo, { recursive: true });
  const scripted = await startScriptedModel({ script: demoResponder });
  const runtime = await openCliRuntime({
    storage: path.join(work, 'storage'),
    provider: opts.provider,
    onNotice: (m) => process.stderr.write(`${p('yellow', m)}\n`),
    model: createAnthropicModel({ apiKey: async () => 'scripted', baseURL: scripted.url }),
  });
  try {
    if (!opts.json) {
      process.stdout.write(p('yellow', 'Demo: the model is Hangar\'s built-in SCRIPTED model (no API key, no network), replaying a fixed bug fix.\n'));
      process.stdout.write(p('dim', `Sample repository copied to ${repo}\n\n`));
    }
    const agent = await resolveAgent(runtime, undefined, undefined);
    const env = await runtime.environments.ensureDefault();
    const session = await runtime.sessions.create({ agent: agent.id, environment_id: env.id, title: 'demo: fix add()', resources: [{ type: 'local_repository', path: repo }] });
    const { code } = await followTurn(runtime, session.id, 'The tests fail. Find the bug in src/math.js and fix it, then run the tests.', { json: opts.json, yes: true, showDiff: true, applyHint: false });
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
    await runtime.close();
    await scripted.close();
  }
}
