import * as vscode from 'vscode';
import type * as z from 'zod';
import { BasicUsername, CredentialHost, HeaderName, SecretName } from '../../wire';
import type { Hangar } from '../hangar';
import { KINDS, type AddArgs, type Kind } from './credential-kinds';

// The input boxes of Hangar: Add Credential after the vault and the kind (steps 1 and 2): what each kind needs, each
// box checked as the user types with the wire's own field schemas, and the secret always in a password box.

const title = (step: number, total: number) => `Hangar: Add Credential (${step}/${total})`;

/** Asks for what a credential of this kind needs; undefined when the user gives up. */
export async function askCredential(h: Hangar, kind: Kind): Promise<AddArgs | undefined> {
  const keptIn = h.host.vaults.secretsHeldIn;
  switch (kind) {
    case 'static_bearer':
    case 'mcp_oauth': {
      const url = await pickServerUrl(h);
      if (!url) return undefined;
      const token = await askSecret(title(4, 4), `The ${KINDS[kind].label.replace('MCP server: ', '')} for ${url}.`, keptIn, true);
      return token ? { kind, url, token } : undefined;
    }
    case 'http_header': {
      const hosts = await askHosts(title(3, 6), 'The hosts whose HTTPS requests from the sandbox get the header, separated by commas (*.example.com: its subdomains).', false);
      if (!hosts) return undefined;
      const scheme = await pickScheme(title(4, 6));
      if (!scheme) return undefined;
      const headerName = scheme === 'header' ? await askText(title(5, 6), 'The header the secret goes in', 'X-Api-Key', '', headerNameProblem) : undefined;
      const username = scheme === 'basic' ? await askText(title(5, 6), 'The user name that goes with the secret (x-access-token for a Git host token)', '', 'x-access-token', usernameProblem) : undefined;
      if ((scheme === 'header' && !headerName) || (scheme === 'basic' && !username)) return undefined;
      const total = scheme === 'bearer' ? 5 : 6;
      const sentAs = scheme === 'header' ? `"${headerName}: <secret>"` : scheme === 'basic' ? '"Authorization: Basic …"' : '"Authorization: Bearer <secret>"';
      const secret = await askSecret(title(total, total), `The secret the proxy sends as ${sentAs} to ${hosts.join(', ')}.`, keptIn, scheme === 'bearer');
      return secret ? { kind, hosts, scheme, headerName, username, secret } : undefined;
    }
    case 'environment_variable': {
      const name = await askText(title(3, 5), 'The environment variable the sandbox reads it from (it holds a placeholder there)', 'API_TOKEN', '', variableProblem);
      if (!name) return undefined;
      const hosts = await askHosts(title(4, 5), `The hosts the proxy may send $${name}'s secret to, separated by commas, or * for any host the session's environment allows.`, true);
      if (!hosts) return undefined;
      const secret = await askSecret(title(5, 5), `The value of $${name}.`, keptIn, false);
      return secret ? { kind, name, hosts: hosts.length === 1 && hosts[0] === '*' ? 'any' : hosts, injectInto: 'header', secret } : undefined;
    }
  }
}

/** A new secret for a credential, in a password box. */
export function askSecret(boxTitle: string, what: string, keptIn: string, token: boolean): Thenable<string | undefined> {
  return vscode.window
    .showInputBox({ title: boxTitle, prompt: `${what} It is kept in ${keptIn}, never in settings or files.`, password: true, ignoreFocusOut: true, validateInput: (v) => secretProblem(v, token) })
    .then((v) => v?.trim() || undefined);
}

export function secretProblem(value: string, token: boolean): string | null {
  const v = value.trim();
  if (!v) return 'Enter the secret.';
  if (/[\r\n]/.test(v)) return 'A secret cannot contain line breaks.';
  if (token && /\s/.test(v)) return 'A token has no spaces.';
  return v.length > 65_536 ? 'At most 65,536 characters.' : null;
}

export function splitHosts(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}

/** Why a list of hosts cannot go into a credential; `*` alone (any host) only where the kind allows it. */
export function hostsProblem(value: string, anyAllowed: boolean): string | null {
  const hosts = splitHosts(value);
  if (hosts.length === 0) return anyAllowed ? 'Enter at least one host, or * for any host the environment allows.' : 'Enter at least one host, such as api.example.com.';
  if (hosts.includes('*')) return !anyAllowed ? 'Name the hosts (*.example.com covers its subdomains); a header credential never goes to every host.' : hosts.length > 1 ? '* stands alone: it already means every host the environment allows.' : null;
  if (hosts.length > 16) return `At most 16 hosts (${hosts.length} given).`;
  for (const host of hosts) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) return `"${host}": give the host alone, without ${host.slice(0, host.indexOf('//') + 2)}.`;
    if (/[:/]/.test(host)) return `"${host}": give the host alone, without a port or path.`;
    if (!CredentialHost.safeParse(host).success) return `"${host}" is not a host: use a bare name like api.example.com, an IPv4 address, or *.example.com for its subdomains.`;
  }
  return null;
}

export function headerNameProblem(value: string): string | null {
  const v = value.trim();
  if (!v) return 'Enter the header name, such as X-Api-Key.';
  return fieldProblem(HeaderName, v, `"${v}" cannot carry the secret`);
}

export function variableProblem(value: string): string | null {
  const v = value.trim();
  if (!v) return 'Enter the variable name, such as API_TOKEN.';
  return fieldProblem(SecretName, v, `"${v}" is not a variable name`);
}

function usernameProblem(value: string): string | null {
  return fieldProblem(BasicUsername, value.trim(), 'Not a user name');
}

/** The wire schema's own reason a field is refused, after `lead`; null when it is accepted. */
function fieldProblem(schema: z.ZodType, value: string, lead: string): string | null {
  const r = schema.safeParse(value);
  return r.success ? null : `${lead}: ${r.error.issues[0]?.message ?? 'refused'}.`;
}

function askText(boxTitle: string, prompt: string, placeHolder: string, value: string, problem: (v: string) => string | null): Thenable<string | undefined> {
  return vscode.window.showInputBox({ title: boxTitle, prompt, placeHolder, value, ignoreFocusOut: true, validateInput: problem }).then((v) => v?.trim() || undefined);
}

async function askHosts(boxTitle: string, prompt: string, anyAllowed: boolean): Promise<string[] | undefined> {
  const typed = await vscode.window.showInputBox({ title: boxTitle, prompt, placeHolder: 'api.example.com, *.example.com', ignoreFocusOut: true, validateInput: (v) => hostsProblem(v, anyAllowed) });
  const hosts = splitHosts(typed ?? '');
  return hosts.length > 0 ? hosts : undefined;
}

type Scheme = 'bearer' | 'basic' | 'header';

async function pickScheme(boxTitle: string): Promise<Scheme | undefined> {
  const items: (vscode.QuickPickItem & { scheme: Scheme })[] = [
    { label: 'Authorization: Bearer <secret>', detail: 'What most APIs that take a token expect', scheme: 'bearer' },
    { label: 'A header you name', detail: 'Such as X-Api-Key: <secret>', scheme: 'header' },
    { label: 'Authorization: Basic <user:secret>', detail: 'HTTP basic authentication, e.g. git over HTTPS with a token', scheme: 'basic' },
  ];
  return (await vscode.window.showQuickPick(items, { title: boxTitle, placeHolder: 'How does the proxy send the secret?', ignoreFocusOut: true }))?.scheme;
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
  const pick = known.size === 0 ? items[0] : await vscode.window.showQuickPick(items, { title: title(3, 4), placeHolder: 'For which MCP server?', ignoreFocusOut: true, matchOnDescription: true });
  if (!pick) return undefined;
  if (pick.url) return pick.url;
  const typed = await vscode.window.showInputBox({
    title: title(3, 4),
    prompt: 'The MCP server URL, exactly as the agent names it (or stdio:<server name> for a stdio server)',
    placeHolder: 'https://mcp.example.com/mcp',
    ignoreFocusOut: true,
    validateInput: (v) => (URL.canParse(v.trim()) ? null : 'Enter a URL such as https://mcp.example.com/mcp.'),
  });
  return typed?.trim() || undefined;
}
