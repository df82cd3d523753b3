import * as vscode from 'vscode';
import type { EventParams } from '../../wire';
import { sessionRepository } from '../../wire/session-repository';
import { parseWebviewMessage, requestIdOf, type ErrorMessage, type ReplyMessage, type WebviewMessage } from '../../protocol/panel';
import { assertNever } from '../../wire/exhaustive';
import type { RuntimeHost } from '../runtime-host';
import { repoRelative } from './paths';

// What the panel's webview may ask of the host. Every request is validated first (src/protocol/panel.ts) and
// answered with a `reply` of its id once it was acted on: ok, or the error. A bad one is logged and refused, never
// acted on; when it has no usable id, the answer is a plain `error` message.

export interface InboundDeps {
  host: RuntimeHost;
  log: vscode.LogOutputChannel;
  /** Opens a path the session mentions: its review diff when the session changed it, else the file itself. */
  openPath(sessionId: string, relPath: string): Promise<void>;
}

/** Handles one request; returns the message that answers it. */
export async function handleWebviewMessage(raw: unknown, sessionId: string, deps: InboundDeps, init: () => Promise<void>): Promise<ReplyMessage | ErrorMessage> {
  const parsed = parseWebviewMessage(raw);
  if (!parsed.ok) {
    deps.log.warn(`panel ${sessionId}: ${parsed.error}`);
    const id = requestIdOf(raw);
    return id ? { type: 'reply', id, ok: false, error: parsed.error } : { type: 'error', message: parsed.error };
  }
  const { id } = parsed.value;
  const error = await act(parsed.value, sessionId, deps, init);
  return error === null ? { type: 'reply', id, ok: true } : { type: 'reply', id, ok: false, error };
}

/** Acts on one valid request; returns an error text for the webview, or null. */
async function act(msg: WebviewMessage, sessionId: string, deps: InboundDeps, init: () => Promise<void>): Promise<string | null> {
  const send = (events: EventParams[]) => deps.host.client.send(sessionId, events);
  try {
    switch (msg.type) {
      case 'ready':
        await init();
        return null;
      case 'send':
        await send([{ type: 'user.message', content: [{ type: 'text', text: msg.text }], ...(msg.session_thread_id ? { session_thread_id: msg.session_thread_id } : {}) }]);
        return null;
      case 'interrupt':
        await send([{ type: 'user.interrupt', ...(msg.session_thread_id ? { session_thread_id: msg.session_thread_id } : {}) }]);
        return null;
      case 'confirm':
        await send([{ type: 'user.tool_confirmation', tool_use_id: msg.tool_use_id, result: msg.result, ...(msg.deny_message ? { deny_message: msg.deny_message } : {}) }]);
        return null;
      case 'customToolResult':
        await send([{ type: 'user.custom_tool_result', custom_tool_use_id: msg.custom_tool_use_id, content: [{ type: 'text', text: msg.text }], is_error: msg.is_error }]);
        return null;
      case 'openFile': {
        const rel = await sessionRelativePath(deps.host, sessionId, msg.path);
        if (rel === null) return `${msg.path} is outside the session's repository.`;
        await deps.openPath(sessionId, rel);
        return null;
      }
      case 'openLink':
        if (!/^https?:\/\//i.test(msg.href)) return `Only http(s) links open from the panel (${msg.href.slice(0, 80)}).`;
        await vscode.env.openExternal(vscode.Uri.parse(msg.href, true));
        return null;
      case 'reviewChanges':
        await vscode.commands.executeCommand('hangar.reviewChanges', { sessionId });
        return null;
      case 'copy':
        await vscode.env.clipboard.writeText(msg.text);
        return null;
      case 'allowForSession':
        await deps.host.client.permissions.allow(sessionId, msg.tool, msg.session_thread_id);
        return null;
      case 'revokeAllowance':
        await deps.host.client.permissions.revoke(sessionId, msg.tool, msg.session_thread_id);
        return null;
      case 'setApiKey':
        await vscode.commands.executeCommand('hangar.setApiKey');
        return null;
      case 'start':
        await vscode.commands.executeCommand('hangar.startAgent', { task: msg.text });
        return null;
      case 'rewind':
        await deps.host.client.rewind(sessionId, msg.checkpoint_id);
        return null;
      case 'fork': {
        // The runtime's fork, not the command: a refusal answers the panel's request like any other.
        const forked = await deps.host.client.fork(sessionId, { at: msg.at });
        await vscode.commands.executeCommand('hangar.openSession', { sessionId: forked.id });
        return null;
      }
      default:
        return assertNever(msg, 'webview request');
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    deps.log.error(`panel ${sessionId}: ${msg.type} failed: ${message}`);
    return message;
  }
}

/** A path from the session as a repository-relative one; null when it points outside the repository. */
export async function sessionRelativePath(host: RuntimeHost, sessionId: string, p: string): Promise<string | null> {
  const resource = sessionRepository((await host.client.retrieveSession(sessionId)).resources);
  return repoRelative(p, [resource?.mount_path, resource?.path, resource?.upload?.client_path].filter((r): r is string => !!r));
}
