import { readFileSync } from 'node:fs';
import * as z from 'zod';
import type { Runtime } from '../runtime';
import { AgentCreateParams, type Agent } from '../wire';
import { DEFAULT_AGENT } from '../runtime/defaults';

// The agent a CLI run uses: one from a JSON file (kept in sync by name: a changed file makes a new version), or
// Hangar's default coding agent.

export async function resolveAgent(runtime: Runtime, file: string | undefined, model: string | undefined): Promise<Agent> {
  const params = file ? readAgentFile(file) : DEFAULT_AGENT;
  const wanted = model ? { ...params, model } : params;
  for (let page: string | undefined; ; ) {
    const res = await runtime.agents.list({ limit: 100, page });
    const found = res.data.find((a) => a.name === wanted.name);
    if (found) {
      const same = JSON.stringify([found.model.id, found.system, found.description]) === JSON.stringify([typeof wanted.model === 'string' ? wanted.model : wanted.model.id, wanted.system ?? null, wanted.description ?? null]);
      return same && !file ? found : runtime.agents.update(found.id, { ...wanted, version: found.version });
    }
    if (!res.next_page) break;
    page = res.next_page;
  }
  return runtime.agents.create(wanted);
}

function readAgentFile(file: string): AgentCreateParams {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read agent file ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const parsed = AgentCreateParams.safeParse(raw);
  if (!parsed.success) throw new Error(`agent file ${file} is not a valid agent definition:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
