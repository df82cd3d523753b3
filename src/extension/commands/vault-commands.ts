import * as vscode from 'vscode';
import * as z from 'zod';
import type { CredentialAuthParams } from '../../wire';
import type { Hangar } from '../hangar';
import { guarded } from './args';
import { askCredential, askSecret, secretProblem } from './credential-inputs';
import { AddArgs, authOf, describe, isToken, KINDS, newSecret, replaced, rotation, type Kind } from './credential-kinds';

// Credentials kept in a vault of the window's runtime (RuntimeHost.vaults), of every kind the vaults API takes: for
// MCP servers (the runtime's MCP connections use them), and HTTP header and environment-variable credentials (the
// runtime's egress proxy injects them into a sandbox's HTTPS requests to their hosts). In-process the record is in
// Hangar's storage and the secret only in SecretStorage through the runtime's vault (ARCHITECTURE.md invariant 5);
// over a detached runtime the secret goes into that runtime's vault through its API (TLS or loopback only) and VS
// Code keeps a copy. Sessions started from VS Code attach those vaults (RuntimeHost.vaultIds).

const RemoveArgs = z.object({ vaultId: z.string().min(1), credentialId: z.string().min(1), confirmed: z.literal(true).optional() });
const RotateArgs = z.object({ vaultId: z.string().min(1), credentialId: z.string().min(1), secret: z.string() });

export function registerVaultCommands(h: Hangar): vscode.Disposable[] {
  const reg = (id: string, run: (...args: unknown[]) => Promise<unknown>) => vscode.commands.registerCommand(id, guarded(h, id, run));
  return [
    reg('hangar.addCredential', async (arg) => {
      if (arg !== undefined) {
        const given = AddArgs.safeParse(arg);
        if (!given.success) throw new Error(`invalid credential: ${z.prettifyError(given.error)}`);
        const auth = authOf(given.data);
        const { vaultId, vaultName, displayName } = given.data;
        const vault = vaultId ?? (await h.host.vaults.create({ display_name: vaultName ?? 'Workspace credentials' })).id;
        return save(h, vault, auth, displayName);
      }
      return addInteractively(h);
    }),
    reg('hangar.rotateCredential', async (arg) => {
      const given = RotateArgs.safeParse(arg);
      const target = given.success ? given.data : await pickCredential(h, 'Hangar: Rotate Credential', 'Give which credential a new secret?');
      if (!target) return undefined;
      const c = await h.host.vaults.retrieveCredential(target.vaultId, target.credentialId);
      const token = isToken(c.auth);
      const secret = given.success ? given.data.secret : await askSecret('Hangar: Rotate Credential', `The new secret for ${describe(c)}.`, h.host.vaults.secretsHeldIn, token);
      if (secret === undefined) return undefined;
      const problem = secretProblem(secret, token);
      if (problem) throw new Error(`invalid secret: ${problem}`);
      await h.host.vaults.updateCredential(target.vaultId, c.id, { auth: newSecret(c.auth.type, secret.trim()) });
      void vscode.window.showInformationMessage(`Hangar: the credential for ${describe(c)} has its new secret in ${h.host.vaults.secretsHeldIn}. New sessions use it.`);
      return c.id;
    }),
    reg('hangar.removeCredential', async (arg) => {
      const given = RemoveArgs.safeParse(arg);
      const target = given.success ? given.data : await pickCredential(h, 'Hangar: Remove Credential', 'Remove which credential?');
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
    (Object.keys(KINDS) as Kind[]).map((k) => ({ label: `$(${KINDS[k].icon}) ${KINDS[k].label}`, detail: KINDS[k].detail, credentialKind: k })),
    { title: 'Hangar: Add Credential (2/…)', placeHolder: 'What kind of credential?', ignoreFocusOut: true },
  );
  if (!kindPick) return undefined;
  const given = await askCredential(h, kindPick.credentialKind);
  return given ? save(h, vaultId, authOf(given)) : undefined;
}

/** Creates the credential, or gives the vault's existing one for the same server, variable or hosts what it now says. */
async function save(h: Hangar, vaultId: string, auth: CredentialAuthParams, displayName?: string): Promise<string> {
  const vaults = h.host.vaults;
  const existing = replaced(await vaults.credentials(vaultId), auth);
  const saved = existing
    ? await vaults.updateCredential(vaultId, existing.id, { auth: rotation(auth) })
    : await vaults.createCredential(vaultId, { auth, ...(displayName ? { display_name: displayName } : {}) });
  void vscode.window.showInformationMessage(`Hangar: ${existing ? 'updated the' : 'saved a'} credential for ${describe(saved)} in ${vaults.secretsHeldIn}. New sessions use it.`);
  return saved.id;
}

async function pickVault(h: Hangar): Promise<string | undefined> {
  const vaults = await h.host.vaults.list();
  type Item = vscode.QuickPickItem & { id?: string };
  const items: Item[] = [...vaults.map((v) => ({ label: v.display_name, description: v.id, id: v.id })), { label: '$(add) New vault…', alwaysShow: true }];
  const pick = vaults.length === 0 ? items[0] : await vscode.window.showQuickPick(items, { title: 'Hangar: Add Credential (1/…)', placeHolder: 'Which vault keeps it? Every vault of this workspace goes with new sessions.', ignoreFocusOut: true });
  if (!pick) return undefined;
  if (pick.id) return pick.id;
  const name = await vscode.window.showInputBox({
    title: 'Hangar: Add Credential (1/…)',
    prompt: 'Name of the new vault',
    value: vaults.length === 0 ? 'Workspace credentials' : '',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? (v.length > 255 ? 'At most 255 characters.' : null) : 'A name is required.'),
  });
  if (!name?.trim()) return undefined;
  return (await h.host.vaults.create({ display_name: name.trim() })).id;
}

async function pickCredential(h: Hangar, title: string, placeHolder: string): Promise<{ vaultId: string; credentialId: string } | undefined> {
  const items: (vscode.QuickPickItem & { vaultId: string; credentialId: string })[] = [];
  for (const v of await h.host.vaults.list()) {
    for (const c of await h.host.vaults.credentials(v.id)) {
      const kind = KINDS[c.auth.type];
      items.push({ label: `$(${kind.icon}) ${describe(c)}`, description: `${kind.label} · vault ${v.display_name}`, detail: c.id, vaultId: v.id, credentialId: c.id });
    }
  }
  if (items.length === 0) {
    void vscode.window.showInformationMessage('Hangar: this workspace has no credentials.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(items, { title, placeHolder, matchOnDescription: true });
  return pick ? { vaultId: pick.vaultId, credentialId: pick.credentialId } : undefined;
}
