// Sessions written straight to storage for the listing benchmarks: a realistic log's bytes and a runtime that never
// reaches a model, so what is measured is reading storage.
import fs from 'node:fs';
import path from 'node:path';
import { Runtime } from '../../src/runtime';
import { DEFAULT_MODEL } from '../../src/model/types';
import { createAnthropicModel } from '../../src/model/anthropic';
import { LocalSandboxProvider } from '../../src/sandbox/local';
import { encodeRecord } from '../../src/log/record';
import { MemoryVault } from '../../src/vault/memory';

/**
 * A finished session's log of `count` records: a user message, then agent messages and model requests in turn, idle
 * at the end. `startMs` spreads sessions apart in time; `idPrefix` keeps event ids unique across sessions.
 */
export function storedLog(count: number, idPrefix: string, startMs = 0): string {
  let text = '';
  const at = (k: number) => new Date(Date.UTC(2026, 0, 1) + startMs + k * 100).toISOString();
  for (let k = 0; k < count; k++) {
    const id = `sevt_${idPrefix}${k}`;
    const e =
      k === 0
        ? { id, type: 'user.message', processed_at: at(k), content: [{ type: 'text', text: 'fix the failing test in src/app.js please' }] }
        : k === count - 1
          ? { id, type: 'session.status_idle', processed_at: at(k), stop_reason: { type: 'end_turn' } }
          : k % 2 === 1
            ? { id, type: 'span.model_request_end', processed_at: at(k), model_request_start_id: 'x', is_error: false, model_usage: { input_tokens: 1200, output_tokens: 300, cache_creation_input_tokens: 0, cache_read_input_tokens: 4000 } }
            : { id, type: 'agent.message', processed_at: at(k), content: [{ type: 'text', text: 'Looking at the test output now; the assertion compares the wrong field.' }] };
    text += encodeRecord(k, JSON.stringify(e));
  }
  return text;
}

/** A runtime on `storage` whose model is unreachable: listing and reading only. */
export const offlineRuntime = (storage: string): Runtime =>
  new Runtime({
    storageRoot: storage,
    vault: new MemoryVault(),
    sandbox: new LocalSandboxProvider({ storageRoot: storage }),
    model: createAnthropicModel({ apiKey: async () => 'k', baseURL: 'http://127.0.0.1:9' }),
    owner: 'bench',
  });

/** A real session.json for `repo`, made by the runtime and then deleted, to copy under many ids. */
export async function templateRecord(storage: string, repo: string): Promise<Record<string, unknown>> {
  const rt = offlineRuntime(storage);
  const agent = await rt.agents.create({ name: 'bench', model: DEFAULT_MODEL });
  const env = await rt.environments.ensureDefault();
  const template = await rt.sessions.create({ agent: agent.id, environment_id: env.id, resources: [{ type: 'local_repository', path: repo }] });
  const record = JSON.parse(fs.readFileSync(path.join(storage, 'sessions', template.id, 'session.json'), 'utf8')) as Record<string, unknown>;
  await rt.deleteSession(template.id);
  await rt.close();
  return record;
}
