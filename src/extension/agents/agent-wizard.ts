import * as vscode from 'vscode';
import { DEFAULT_AGENT } from '../../runtime/defaults';
import { BUILTIN_TOOL_NAMES, type AgentCreateParams } from '../../wire';

// The guided New Agent flow: name, model, system prompt, enabled built-in tools, and which of them ask for approval
// before each call (always_ask; the rest always_allow). Escape at any step cancels without creating anything.

const TOOL_HINTS: Record<string, string> = {
  bash: 'run shell commands in the sandbox',
  read: 'read files',
  write: 'create or overwrite files',
  edit: 'edit files in place',
  glob: 'find files by pattern',
  grep: 'search file contents',
  web_fetch: "fetch a URL (on the host, under the environment's network rules)",
  web_search: 'search the web (needs a search endpoint: hangar.webSearch.url)',
};

export async function runAgentWizard(defaultModel: string): Promise<AgentCreateParams | undefined> {
  const title = (step: number) => `Hangar: New Agent (${step}/5)`;
  const name = await vscode.window.showInputBox({
    title: title(1),
    prompt: 'Agent name',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim().length === 0 ? 'A name is required.' : v.length > 256 ? 'At most 256 characters.' : null),
  });
  if (!name) return undefined;
  const model = await vscode.window.showInputBox({ title: title(2), prompt: 'Model id', value: defaultModel, ignoreFocusOut: true, validateInput: (v) => (v.trim() ? null : 'A model id is required.') });
  if (!model) return undefined;
  const system = await vscode.window.showInputBox({ title: title(3), prompt: 'System prompt (how the agent should work)', value: DEFAULT_AGENT.system ?? '', ignoreFocusOut: true });
  if (system === undefined) return undefined;
  const enabledPicks = await vscode.window.showQuickPick(
    BUILTIN_TOOL_NAMES.map((t) => ({ label: t, description: TOOL_HINTS[t], picked: t !== 'web_fetch' && t !== 'web_search' })),
    { title: title(4), placeHolder: 'Which built-in tools may the agent use?', canPickMany: true, ignoreFocusOut: true },
  );
  if (!enabledPicks) return undefined;
  const enabled = new Set(enabledPicks.map((p) => p.label));
  const askPicks = await vscode.window.showQuickPick(
    [...enabled].map((t) => ({ label: t, description: TOOL_HINTS[t], picked: t === 'bash' })),
    { title: title(5), placeHolder: 'Which tools ask for your approval before every call? (the others run without asking)', canPickMany: true, ignoreFocusOut: true },
  );
  if (!askPicks) return undefined;
  const ask = new Set(askPicks.map((p) => p.label));
  return {
    name: name.trim(),
    model: model.trim(),
    system: system.trim() || null,
    tools: [
      {
        type: 'agent_toolset_20260401',
        default_config: { enabled: false, permission_policy: { type: 'always_allow' } },
        configs: BUILTIN_TOOL_NAMES.filter((t) => enabled.has(t)).map((t) => ({ name: t, enabled: true, permission_policy: { type: ask.has(t) ? 'always_ask' : 'always_allow' } })),
      },
    ],
  };
}
