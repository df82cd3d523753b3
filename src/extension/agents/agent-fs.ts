import * as vscode from 'vscode';
import * as z from 'zod';
import { RuntimeError } from '../../runtime/errors';
import { AgentUpdateParams, type Agent } from '../../wire';
import { RuntimeRefusal } from '../connection/remote-client';
import { DocumentFileSystem } from '../document-fs';
import type { RuntimeHost } from '../runtime-host';

// Agents as JSON documents: `hangar-agent:/<id>.json` is the latest version and saving it writes version N+1 (with
// the document's "version" as the optimistic-concurrency check); `hangar-agent:/<id>@<n>.json` is version n, read
// only. Editing the JSON reaches every field (tools, per-tool permission policies, MCP servers and their
// mcp_toolset entries) that a chain of input boxes could not, and the runtime validates it like any API client's
// update. MCP credentials never go here: they belong in a vault (Hangar: Add Credential).

export const AGENT_SCHEME = 'hangar-agent';

const Editable = z.strictObject({ ...AgentUpdateParams.shape, metadata: z.never().optional() });

export function agentUri(agentId: string, version?: number): vscode.Uri {
  return vscode.Uri.from({ scheme: AGENT_SCHEME, path: `/${agentId}${version === undefined ? '' : `@${version}`}.json` });
}

function parseAgentUri(uri: vscode.Uri): { agentId: string; version?: number } {
  const m = /^\/([A-Za-z0-9_-]{1,128})(?:@(\d{1,9}))?\.json$/.exec(uri.path);
  if (!m?.[1]) throw vscode.FileSystemError.FileNotFound(uri);
  return { agentId: m[1], ...(m[2] ? { version: Number(m[2]) } : {}) };
}

export function agentDocument(a: Agent): string {
  // The roster too (null: a single agent), so a coordinator is made and edited here like any other field.
  const doc = { version: a.version, name: a.name, description: a.description, model: a.model, system: a.system, tools: a.tools, mcp_servers: a.mcp_servers, skills: a.skills, multiagent: a.multiagent };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export class AgentFileSystem extends DocumentFileSystem {
  private readonly saved = new vscode.EventEmitter<Agent>();
  /** An agent got a new version from a saved document. */
  readonly onDidSaveAgent = this.saved.event;

  constructor(private readonly host: RuntimeHost) {
    super();
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const { agentId, version } = parseAgentUri(uri);
    const agent = await this.load(uri, agentId, version);
    return {
      type: vscode.FileType.File,
      ctime: Date.parse(agent.created_at),
      mtime: Date.parse(agent.updated_at),
      size: Buffer.byteLength(agentDocument(agent)),
      ...(version !== undefined || agent.archived_at ? { permissions: vscode.FilePermission.Readonly } : {}),
    };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const { agentId, version } = parseAgentUri(uri);
    return Buffer.from(agentDocument(await this.load(uri, agentId, version)));
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array): Promise<void> {
    const { agentId, version } = parseAgentUri(uri);
    if (version !== undefined) throw vscode.FileSystemError.NoPermissions(`Version ${version} is history and read only; edit ${agentId}.json instead.`);
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(content).toString('utf8'));
    } catch (err) {
      throw new Error(`The agent is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const parsed = Editable.safeParse(json);
    if (!parsed.success) throw new Error(`The agent definition is invalid: ${z.prettifyError(parsed.error)}`);
    const { metadata: _none, ...params } = parsed.data;
    let agent: Agent;
    try {
      agent = await this.host.client.updateAgent(agentId, params);
    } catch (err) {
      // The runtime checks what the schema cannot (an mcp_toolset naming a server that is not in mcp_servers, a
      // server no toolset uses, duplicate names, a stale version); its message says what to fix.
      if ((err instanceof RuntimeError || err instanceof RuntimeRefusal) && err.status < 500) throw new Error(`Cannot save the agent: ${err.message}`, { cause: err });
      throw err;
    }
    this.fireChanged(uri);
    this.saved.fire(agent);
  }

  private async load(uri: vscode.Uri, agentId: string, version?: number): Promise<Agent> {
    try {
      return await this.host.client.retrieveAgent(agentId, version);
    } catch {
      throw vscode.FileSystemError.FileNotFound(uri);
    }
  }
}
