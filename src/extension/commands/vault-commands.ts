import * as vscode from 'vscode';
import * as z from 'zod';
import { normaliseMcpUrl } from '../../runtime/mcp';
import type { Credential } from '../../wire';
import type { Hangar } from '../hangar';
import { guarded } from './args';

// Credentials for MCP servers, kept in a vault of the window's runtime (RuntimeHost.vaults): in-process the record
// (server URL, kind) in Hangar's storage and the secret only in SecretStorage through the runtime's vault
// (ARCHITECTURE.md invariant 5); over a detached runtime the secret goes into that runtime's vault through its API
// (TLS or loopback only) and VS Code keeps a copy. Sessions started from VS Code attach those vaults
// (RuntimeHost.vaultIds), so the next session's MCP servers get the token.

const KINDS = {
  static_bearer: { label: 'Bearer token', detail: 'A fixed token the MCP server accepts as "Authorization: Bearer …" (static_bearer)' },
  mcp_oauth: { label: 'OAuth access token', detail: 'An OAuth access token for the MCP server, without refresh (mcp_oauth)' },
} as const;
type Kind = keyof typeof KINDS;

const AddArgs = z.object({
  vaultId: z.string().min(1).optional(),
  /** Creates a vault of this name when no vaultId is given. */
  vaultName: z.string().trim().min(1).max(255).optional(),
  kind: z.enum(['static_bearer', 'mcp_oauth']).default('static_bearer'),
  url: z.string().min(1),
  token: z.string().min(1).max(65_536),
  displayName: z.string().max(255).optional(),
});
const RemoveArgs = z.object({ vaultId: z.string().min(1), credentialId: z.string().min(1), confirmed: z.literal(true).optional() });

export function registerVaultCommands(h: Hangar): vscode.Disposable[] {
  const reg = (id: string, run: (...args: unknown[]) => Promise<unknown>) => vscode.commands.registerCommand(id, guarded(h, id, run));
  return [
    reg('hangar.addCredential', async (arg) => {
      if (arg !== undefined) {
        const given = AddArgs.safeParse(arg);
        if (!given.success) throw new Error(`invalid credential: ${z.prettifyError(given.error)}`);
        const { vaultId, vaultName, kind, url, token, displayName } = given.data;
        const vault = vaultId ?? (await h.host.vaults.create({ display_name: vaultName ?? 'Workspace credentials' })).id;
        return save(h, vault, kind, url, token, displayName);
      }
      return addInteractively(h);
    }),
    reg('hangar.removeCredential', async (arg) => {
      const given = RemoveArgs.safeParse(arg);
      const target = given.success ? given.data : await pickCredential(h);
      if (!target) return undefined;
      if (!given.success || !given.data.confirmed) {
        const c = await h.host.vaults.retrieveCredential(target.vaultId, target.credentialId);
        const answer = await vscode.window.showWarningMessage(
          `Remove the credential for ${describe(c)}?`,
          { modal: true, detail: `Its secret is deleted from ${h.host.vaults.secretsHeldIn}. Sessions that are running keep the connections they have.` },
          'Remove',
        );
        if (answer !== 'Remove') return undefined;
      }
      await h.host.vaults.deleteCredential(target.vaultId, target.credentialId);
      void vscode.window.showInformationMessage('Hangar: credential removed.');
      return target.credentialId;
    }),
  ];
}

async function addInteractively(h: Hangar): Promise<string | undefined> {
  const vaultId = await pickVault(h);
  if (!vaultId) return undefined;
  const kindPick = await vscode.window.showQuickPick(
    (Object.keys(KINDS) as Kind[]).map((k) => ({ label: KINDS[k].label, detail: KINDS[k].detail, credentialKind: k })),
    { title: 'Hangar: Add Credential (2/4)', placeHolder: 'What kind of credential?', ignoreFocusOut: true },
  );
  if (!kindPick) return undefined;
  const url = await pickServerUrl(h);
  if (!url) return undefined;
  const token = await vscode.window.showInputBox({
    title: 'Hangar: Add Credential (4/4)',
    prompt: `The ${KINDS[kindPick.credentialKind].label.toLowerCase()} for ${url}. It is kept in ${h.host.vaults.secretsHeldIn}, never in settings or files.`,
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? (/\s/.test(v.trim()) ? 'A token has no spaces.' : null) : 'Enter the token.'),
  });
  if (!token?.trim()) return undefined;
  return save(h, vaultId, kindPick.credentialKind, url, token.trim());
}

/** Creates the credential, or gives the vault's existing one for this server the new secret. */
async function save(h: Hangar, vaultId: string, kind: Kind, url: string, token: string, displayName?: string): Promise<string> {
  const vaults = h.host.vaults;
  const existing = (await vaults.credentials(vaultId)).find((c) => c.auth.type === kind && 'mcp_server_url' in c.auth && normaliseMcpUrl(c.auth.mcp_server_url) === normaliseMcpUrl(url));
  const auth = kind === 'static_bearer' ? { type: kind, mcp_server_url: url, token } : { type: kind, mcp_server_url: url, access_token: token };
  const saved = existing
    ? await vaults.updateCredential(vaultId, existing.id, { auth: kind === 'static_bearer' ? { type: kind, token } : { type: kind, access_token: token } })
    : await vaults.createCredential(vaultId, { auth, ...(displayName ? { display_name: displayName } : {}) });
  void vscode.window.showInformationMessage(`Hangar: ${existing ? 'updated the' : 'saved a'} credential for ${url} in ${vaults.secretsHeldIn}. New sessions use it.`);
  return saved.id;
}

async function pickVault(h: Hangar): Promise<string | undefined> {
  const vaults = await h.host.vaults.list();
  type Item = vscode.QuickPickItem & { id?: string };
  const items: Item[] = [...vaults.map((v) => ({ label: v.display_name, description: v.id, id: v.id })), { label: '$(add) New vault…', alwaysShow: true }];
  const pick = vaults.length === 0 ? items[0] : await vscode.window.showQuickPick(items, { title: 'Hangar: Add Credential (1/4)', placeHolder: 'Which vault keeps it? Every vault of this workspace goes with new sessions.', ignoreFocusOut: true });
  if (!pick) return undefined;
  if (pick.id) return pick.id;
  const name = await vscode.window.showInputBox({
    title: 'Hangar: Add Credential (1/4)',
    prompt: 'Name of the new vault',
    value: vaults.length === 0 ? 'Workspace credentials' : '',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? (v.length > 255 ? 'At most 255 characters.' : null) : 'A name is required.'),
  });
  if (!name?.trim()) return undefined;
  return (await h.host.vaults.create({ display_name: name.trim() })).id;
}

/** The MCP servers the workspace's agents name (URL servers by URL, stdio servers as stdio:<name>), or a typed URL. */
async function pickServerUrl(h: Hangar): Promise<string | undefined> {
  const known = new Map<string, string>();
  for (const a of await h.host.client.listAgents()) {
    for (const s of a.mcp_servers) {
      const url = s.type === 'url' ? s.url : `stdio:${s.name}`;
      if (!known.has(url)) known.set(url, s.type === 'url' ? `${s.name} · agent ${a.name}` : `${s.name} (stdio; the token replaces \${HANGAR_MCP_TOKEN} in its env) · agent ${a.name}`);
    }
  }
  type Item = vscode.QuickPickItem & { url?: string };
  const items: Item[] = [...[...known].map(([url, description]) => ({ label: url, description, url })), { label: '$(edit) Enter a server URL…', alwaysShow: true }];
  const pick = known.size === 0 ? items[0] : await vscode.window.showQuickPick(items, { title: 'Hangar: Add Credential (3/4)', placeHolder: 'For which MCP server?', ignoreFocusOut: true, matchOnDescription: true });
  if (!pick) return undefined;
  if (pick.url) return pick.url;
  const typed = await vscode.window.showInputBox({
    title: 'Hangar: Add Credential (3/4)',
    prompt: 'The MCP server URL, exactly as the agent names it (or stdio:<server name> for a stdio server)',
    placeHolder: 'https://mcp.example.com/mcp',
    ignoreFocusOut: true,
    validateInput: (v) => (URL.canParse(v.trim()) ? null : 'Enter a URL such as https://mcp.example.com/mcp.'),
  });
  return typed?.trim() || undefined;
}

async function pickCredential(h: Hangar): Promise<{ vaultId: string; credentialId: string } | undefined> {
  const items: (vscode.QuickPickItem & { vaultId: string; credentialId: string })[] = [];
  for (const v of await h.host.vaults.list()) {
    for (const c of await h.host.vaults.credentials(v.id)) items.push({ label: describe(c), description: `${c.auth.type} · vault ${v.display_name}`, detail: c.id, vaultId: v.id, credentialId: c.id });
  }
  if (items.length === 0) {
    void vscode.window.showInformationMessage('Hangar: this workspace has no credentials.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(items, { title: 'Hangar: Remove Credential', placeHolder: 'Remove which credential?', matchOnDescription: true });
  return pick ? { vaultId: pick.vaultId, credentialId: pick.credentialId } : undefined;
}

function describe(c: Credential): string {
  const a = c.auth;
  if (a.type === 'static_bearer' || a.type === 'mcp_oauth') return a.mcp_server_url;
  if (a.type === 'environment_variable') return `$${a.secret_name}`;
  return a.allowed_hosts.join(', ');
}
