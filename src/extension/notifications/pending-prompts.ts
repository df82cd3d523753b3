import type { RuntimeClient } from '../connection/runtime-client';
import { HarnessState } from '../../harness/state';
import { summarizeToolInput } from '../../format/tool-input';

/** The command a notification's Allow / Allow for this session / Deny links run. */
export const ANSWER_COMMAND = 'hangar.answerPrompt';

// The questions a session waits on, folded from its log the way the harness folds it (the same HarnessState), so
// what VS Code shows outside the panel is exactly what the harness waits for. Plain TypeScript (no vscode).

export interface PendingPrompt {
  sessionId: string;
  toolUseId: string;
  /** permission: Allow / Deny; custom: the session needs a result only the panel can give. */
  kind: 'permission' | 'custom';
  name: string;
  mcpServer?: string;
  /** One line naming what the call would do ("git push", "src/a.ts"). */
  summary: string;
  /** The sub-agent whose call it is (a multi-agent session's sub-thread); absent for the session's own agent. */
  agent?: string;
  /** The sub-thread the call waits in (its "allow for this session" is that thread's agent's); absent for the coordinator's. */
  thread?: string;
}

/** The prompts of a session idle with requires_action, oldest first; none while it runs or after the turn ended. */
export async function pendingPrompts(client: Pick<RuntimeClient, 'sessionEvents'>, sessionId: string): Promise<PendingPrompt[]> {
  const state = new HarnessState();
  const agents = new Map<string, string>();
  const threadOf = new Map<string, string>();
  for (const e of await client.sessionEvents(sessionId)) {
    state.apply(e);
    if (e.type === 'session.thread_created') agents.set(e.session_thread_id, e.agent_name);
    if ((e.type === 'agent.tool_use' || e.type === 'agent.mcp_tool_use' || e.type === 'agent.custom_tool_use') && e.session_thread_id) threadOf.set(e.id, e.session_thread_id);
  }
  if (state.status !== 'idle' || state.lastStopReason?.type !== 'requires_action') return [];
  return state.blocked().map((p) => {
    const thread = threadOf.get(p.id);
    const agent = agents.get(thread ?? '');
    return {
      sessionId,
      toolUseId: p.id,
      kind: p.kind === 'custom' ? 'custom' : 'permission',
      name: p.name,
      ...(p.mcpServer ? { mcpServer: p.mcpServer } : {}),
      summary: summarizeToolInput(p.name, p.input).text || JSON.stringify(p.input).slice(0, 200),
      ...(agent ? { agent } : {}),
      ...(thread ? { thread } : {}),
    };
  });
}

/** Where an answer goes: the runtime client (in-process or detached), "allow for this session" included. */
export interface AnswerTarget {
  client: Pick<RuntimeClient, 'send' | 'permissions'>;
}

/**
 * Answers a waiting permission prompt as a notification's link does. "Allow for this session" allows the tool for the
 * agent whose call it is (a sub-thread's for that thread's agent, which also confirms its waiting calls), not the
 * coordinator's.
 */
export async function answerPrompt(to: AnswerTarget, p: PendingPrompt, result: 'allow' | 'deny' | 'allowForSession'): Promise<void> {
  if (result === 'allowForSession') return to.client.permissions.allow(p.sessionId, { name: p.name, ...(p.mcpServer ? { mcp_server_name: p.mcpServer } : {}) }, p.thread);
  await to.client.send(p.sessionId, [{ type: 'user.tool_confirmation', tool_use_id: p.toolUseId, result }]);
}

export function toolLabel(p: Pick<PendingPrompt, 'name' | 'mcpServer'>): string {
  return p.mcpServer ? `${p.mcpServer}/${p.name}` : p.name;
}

/** The notification's text: who waits, for what, and the actions as command links. */
export function notificationText(p: PendingPrompt, title: string): string {
  // A link's target ends at the first ")" or space, which encodeURIComponent leaves as they are.
  const target = (command: string, arg: unknown) => `command:${command}?${encodeURIComponent(JSON.stringify([arg])).replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}`;
  const link = (label: string, command: string, arg: unknown, hint: string) => `[${label}](${target(command, arg)} "${hint}")`;
  const tool = plain(toolLabel(p), 80).replace(/"/g, "'");
  const answer = (label: string, result: 'allow' | 'deny' | 'allowForSession', hint: string) => link(label, ANSWER_COMMAND, { sessionId: p.sessionId, toolUseId: p.toolUseId, result }, hint);
  const open = link('Open', 'hangar.openSession', { sessionId: p.sessionId }, 'Open the session');
  const what = plain(p.summary, 120);
  const who = p.agent ? `sub-agent ${plain(p.agent, 40)} asks: ` : '';
  if (p.kind === 'custom') return `${plain(title, 60)} is waiting for you: ${who}the custom tool ${p.name} needs a result. ${open}`;
  return [
    `${plain(title, 60)} is waiting for you: ${who}allow ${tool}${what ? ` (${what})` : ''}?`,
    [
      answer('Allow', 'allow', `Run this ${tool} call`),
      answer('Allow for this session', 'allowForSession', `Run this and every later ${tool} call of ${p.agent ? `sub-agent ${plain(p.agent, 40).replace(/"/g, "'")}` : 'the session'} without asking (revocable)`),
      answer('Deny', 'deny', `Do not run this ${tool} call`),
      open,
    ].join(' · '),
  ].join(' ');
}

/** Text that cannot make or break the message's links (no square brackets), on one line, capped. */
function plain(text: string, max: number): string {
  const one = text.replace(/[[\]]/g, ' ').replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
