import * as vscode from 'vscode';
import * as z from 'zod';
import { DEFAULT_AGENT } from '../../runtime/defaults';
import { AgentCreateParams, type Agent } from '../../wire';
import { readSettings } from '../config';
import { agentUri } from '../agents/agent-fs';
import { runAgentWizard } from '../agents/agent-wizard';
import type { Hangar } from '../hangar';
import { guarded } from './args';

// New Agent is a short guided flow (name, model, system prompt, tools, which tools ask first); Edit Agent opens the
// agent as JSON (hangar-agent:/<id>.json), where saving makes the next version. See agents/agent-fs.ts for why.

const AgentArg = z.looseObject({ agentId: z.string().min(1) });

export function registerAgentCommands(h: Hangar): vscode.Disposable[] {
  const reg = (id: string, run: (...args: unknown[]) => Promise<unknown>) => vscode.commands.registerCommand(id, guarded(h, id, run));
  return [
    h.agentFs.onDidSaveAgent((a) => {
      h.agentsTree.refresh();
      void vscode.window.showInformationMessage(`Hangar: saved ${a.name} as version ${a.version}. New sessions use it; running ones keep their version.`);
    }),
    reg('hangar.newAgent', async (arg) => {
      const params = arg === undefined ? await runAgentWizard(readSettings().modelId) : parseParams(arg);
      if (!params) return undefined;
      const agent = await h.host.client.createAgent(params);
      h.agentsTree.refresh();
      if (arg === undefined) {
        const next = await vscode.window.showInformationMessage(`Hangar: created agent ${agent.name}.`, 'Start It on This Repository', 'Edit as JSON');
        if (next === 'Edit as JSON') await vscode.commands.executeCommand('hangar.editAgent', { agentId: agent.id });
        if (next === 'Start It on This Repository') await vscode.commands.executeCommand('hangar.startAgent', { agentId: agent.id });
      }
      return agent.id;
    }),
    reg('hangar.editAgent', async (arg) => {
      const given = AgentArg.safeParse(arg);
      const id = given.success ? given.data.agentId : await pickAgent(h, 'Edit which agent?', false);
      if (!id) return undefined;
      const doc = await vscode.workspace.openTextDocument(agentUri(id));
      await vscode.window.showTextDocument(doc, { preview: false });
      return id;
    }),
  ];
}

function parseParams(arg: unknown): AgentCreateParams {
  const parsed = AgentCreateParams.safeParse(arg);
  if (!parsed.success) throw new Error(`invalid agent definition: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * Picks an agent; `hangar.defaultAgent` (a name or id) comes first. With `offerDefault`, an empty list offers
 * Hangar's default coding agent, created on first use.
 */
export async function pickAgent(h: Hangar, placeHolder: string, offerDefault = true): Promise<string | undefined> {
  const agents = await listAgents(h);
  const preferred = readSettings().defaultAgent;
  const sorted = [...agents].sort((a, b) => Number(isPreferred(b, preferred)) - Number(isPreferred(a, preferred)));
  type Item = vscode.QuickPickItem & { id?: string; create?: true };
  const items: Item[] = sorted.map((a) => ({
    label: a.name,
    description: `v${a.version} · ${a.model.id}${isPreferred(a, preferred) ? ' · default' : ''}`,
    detail: a.description ?? undefined,
    id: a.id,
  }));
  if (offerDefault && !agents.some((a) => a.name === DEFAULT_AGENT.name)) {
    items.push({ label: `$(add) ${DEFAULT_AGENT.name}`, description: 'Hangar\'s general coding agent (created now)', create: true });
  }
  const pick = items.length === 1 && items[0]?.create ? items[0] : await vscode.window.showQuickPick(items, { placeHolder });
  if (!pick) return undefined;
  if (pick.id) return pick.id;
  const created = await h.host.client.createAgent({ ...DEFAULT_AGENT, model: readSettings().modelId });
  h.agentsTree.refresh();
  return created.id;
}

function isPreferred(a: Agent, preferred: string): boolean {
  return preferred !== '' && (a.id === preferred || a.name === preferred);
}

export async function listAgents(h: Hangar): Promise<Agent[]> {
  return h.host.client.listAgents();
}

