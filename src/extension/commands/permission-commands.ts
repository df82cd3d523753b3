import * as vscode from 'vscode';
import { z } from 'zod';
import type { Hangar } from '../hangar';
import { ANSWER_COMMAND, toolLabel } from '../notifications/pending-prompts';
import { guarded, resolveSession } from './args';

// Answering a waiting tool call from outside the panel (the notification's links) and taking back an "allow for
// this session" (the palette, or with {sessionId, tool} from another command or a test).

const AnswerArgs = z.object({ sessionId: z.string().min(1), toolUseId: z.string().min(1), result: z.enum(['allow', 'deny', 'allowForSession']) });
const ToolRef = z.object({ name: z.string().min(1), mcp_server_name: z.string().min(1).optional() });
const RevokeArgs = z.looseObject({ sessionId: z.string().min(1), tool: ToolRef });

export function registerPermissionCommands(h: Hangar): vscode.Disposable[] {
  const reg = (id: string, run: (...args: unknown[]) => Promise<unknown>) => vscode.commands.registerCommand(id, guarded(h, id, run));
  return [
    reg(ANSWER_COMMAND, async (arg) => {
      const { sessionId, toolUseId, result } = AnswerArgs.parse(arg);
      const prompt = h.approvals.find(sessionId, toolUseId);
      h.approvals.close(toolUseId);
      // Answered in the panel (or elsewhere) meanwhile: the link is stale, and answering twice would be refused.
      if (!prompt) return undefined;
      if (result === 'allowForSession') await h.host.runtime.permissions.allow(sessionId, { name: prompt.name, ...(prompt.mcpServer ? { mcp_server_name: prompt.mcpServer } : {}) });
      else await h.host.runtime.sessions.send(sessionId, [{ type: 'user.tool_confirmation', tool_use_id: toolUseId, result }]);
      return result;
    }),
    reg('hangar.revokeAllowance', async (arg) => {
      const given = RevokeArgs.safeParse(arg);
      if (given.success) {
        await h.host.runtime.permissions.revoke(given.data.sessionId, given.data.tool);
        return given.data.tool;
      }
      const sessionId = await resolveSession(h, arg, 'Revoke an "allow for this session" of which session?');
      if (!sessionId) return undefined;
      const allowed = await h.host.runtime.permissions.allowed(sessionId);
      if (allowed.length === 0) {
        void vscode.window.showInformationMessage('Hangar: this session has no tool allowed for the session; every call asks as its agent says.');
        return undefined;
      }
      const pick = await vscode.window.showQuickPick(
        allowed.map((tool) => ({ label: toolLabel({ name: tool.name, mcpServer: tool.mcp_server_name }), description: 'ask again before each call', tool })),
        { placeHolder: 'Which tool should ask again before each call?' },
      );
      if (!pick) return undefined;
      await h.host.runtime.permissions.revoke(sessionId, pick.tool);
      return pick.tool;
    }),
  ];
}
