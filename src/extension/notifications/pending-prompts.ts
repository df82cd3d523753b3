import type { Runtime } from '../../runtime';
import { HarnessState } from '../../harness/state';
import { summarizeToolInput } from '../../format/tool-input';

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
}

/** The prompts of a session idle with requires_action, oldest first; none while it runs or after the turn ended. */
export async function pendingPrompts(runtime: Runtime, sessionId: string): Promise<PendingPrompt[]> {
  const state = new HarnessState();
  for (let page: string | undefined; ; ) {
    const res = await runtime.sessions.listEvents(sessionId, { limit: 1000, page });
    for (const e of res.data) state.apply(e);
    if (!res.next_page) break;
    page = res.next_page;
  }
  if (state.status !== 'idle' || state.lastStopReason?.type !== 'requires_action') return [];
  return state.blocked().map((p) => ({
    sessionId,
    toolUseId: p.id,
    kind: p.kind === 'custom' ? 'custom' : 'permission',
    name: p.name,
    ...(p.mcpServer ? { mcpServer: p.mcpServer } : {}),
    summary: summarizeToolInput(p.name, p.input).text || JSON.stringify(p.input).slice(0, 200),
  }));
}

export function toolLabel(p: Pick<PendingPrompt, 'name' | 'mcpServer'>): string {
  return p.mcpServer ? `${p.mcpServer}/${p.name}` : p.name;
}
