import * as vscode from 'vscode';
import * as z from 'zod';
import type { Hangar } from '../hangar';
import { ANSWER_COMMAND, answerPrompt, toolLabel } from '../notifications/pending-prompts';
import { guarded, resolveSession } from './args';

// Answering a waiting tool call from outside the panel (the notification's links) and taking back an "allow for
// this session" (the palette, or with {sessionId, tool} from another command or a test).

const AnswerArgs = z.object({ sessionId: z.string().min(1), toolUseId: z.string().min(1), result: z.enum(['allow', 'deny', 'allowForSession']) });
const ToolRef = z.object({ name: z.string().min(1), mcp_server_name: z.string().min(1).optional() });
/** `threadId`: a sub-agent thread's allowance (its roster agent's); absent, the coordinator's. */
const RevokeArgs = z.looseObject({ sessionId: z.string().min(1), tool: ToolRef, threadId: z.string().min(1).optional() });

export function registerPermissionCommands(h: Hangar): vscode.Disposable[] {
  const reg = (id: string, run: (...args: unknown[]) => Promise<unknown>) => vscode.commands.registerCommand(id, guarded(h, id, run));
  return [
    reg(ANSWER_COMMAND, async (arg) => {
      const { sessionId, toolUseId, result } = AnswerArgs.parse(arg);
      const prompt = h.approvals.find(sessionId, toolUseId);
      h.approvals.close(toolUseId);
      // Answered in the panel (or elsewhere) meanwhile: the link is stale, and answering twice would be refused.
      if (!prompt) return undefined;
      await answerPrompt(h.host, prompt, result);
      return result;
    }),
    reg('hangar.revokeAllowance', async (arg) => {
      const given = RevokeArgs.safeParse(arg);
      if (given.success) {
        await h.host.client.permissions.revoke(given.data.sessionId, given.data.tool, given.data.threadId);
        return given.data.tool;
      }
      const sessionId = await resolveSession(h, arg, 'Revoke an "allow for this session" of which session?');
      if (!sessionId) return undefined;
      const { tools, sub_agents: subAgents } = await h.host.client.permissions.all(sessionId);
      const allowed = [
        ...tools.map((tool) => ({ tool, thread: undefined, description: 'ask again before each call' })),
        ...subAgents.flatMap((a) => a.tools.map((tool) => ({ tool, thread: a.threads[0], description: `sub-agent ${a.agent}: ask again before each call` }))),
      ];
      if (allowed.length === 0) {
        void vscode.window.showInformationMessage('Hangar: this session has no tool allowed for the session; every call asks as its agent says.');
        return undefined;
      }
      const pick = await vscode.window.showQuickPick(
        allowed.map((a) => ({ ...a, label: toolLabel({ name: a.tool.name, mcpServer: a.tool.mcp_server_name }) })),
        { placeHolder: 'Which tool should ask again before each call?' },
      );
      if (!pick) return undefined;
      await h.host.client.permissions.revoke(sessionId, pick.tool, pick.thread);
      return pick.tool;
    }),
  ];
}
