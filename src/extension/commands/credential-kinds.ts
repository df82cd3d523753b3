import * as z from 'zod';
import { normaliseMcpUrl } from '../../runtime/mcp';
import { matchKey } from '../../runtime/vaults';
import { CredentialAuthParams, type Credential, type CredentialAuthUpdateParams } from '../../wire';

// The credential kinds Hangar: Add Credential offers: every `auth.type` the vaults API accepts (reference §7.7 and
// Hangar's http_header). What the command takes as an argument (or builds from its input boxes), how that becomes the
// wire's auth, which existing credential a new one replaces, and which field of each kind holds the secret.

export type Kind = CredentialAuthParams['type'];

export const KINDS: Record<Kind, { label: string; detail: string; icon: string }> = {
  static_bearer: { label: 'MCP server: bearer token', detail: 'A fixed token an MCP server accepts as "Authorization: Bearer …" (static_bearer)', icon: 'plug' },
  mcp_oauth: { label: 'MCP server: OAuth access token', detail: 'An OAuth access token for an MCP server, without refresh (mcp_oauth)', icon: 'plug' },
  http_header: {
    label: 'HTTP header for hosts',
    detail: "The egress proxy sets a header (Authorization: Bearer/Basic, or one you name) on the sandbox's HTTPS requests to these hosts (http_header)",
    icon: 'globe',
  },
  environment_variable: {
    label: 'Environment variable',
    detail: 'The sandbox gets a placeholder in this variable; the egress proxy swaps in the secret on HTTPS requests to these hosts (environment_variable)',
    icon: 'symbol-variable',
  },
};

/** A secret as typed: surrounding blanks are the paste's, not the secret's. */
const SecretArg = z.string().trim().min(1, 'the secret is empty').max(65_536);
const Target = {
  vaultId: z.string().min(1).optional(),
  /** Creates a vault of this name when no vaultId is given. */
  vaultName: z.string().trim().min(1).max(255).optional(),
  displayName: z.string().max(255).optional(),
};
const Mcp = { url: z.string().min(1), token: SecretArg };
/** `"any"`: every host the session's environment lets the sandbox reach (networking unrestricted). */
const Hosts = z.array(z.string().trim()).min(1, 'give at least one host');

export const AddArgs = z.preprocess(
  // Before the header and variable kinds, the argument had no kind and meant a bearer token for an MCP server.
  (v) => (typeof v === 'object' && v !== null && !('kind' in v) ? { ...v, kind: 'static_bearer' } : v),
  z.discriminatedUnion('kind', [
    z.object({ ...Target, ...Mcp, kind: z.literal('static_bearer') }),
    z.object({ ...Target, ...Mcp, kind: z.literal('mcp_oauth') }),
    z.object({
      ...Target,
      kind: z.literal('http_header'),
      hosts: Hosts,
      scheme: z.enum(['bearer', 'basic', 'header']).default('bearer'),
      headerName: z.string().trim().optional(),
      username: z.string().optional(),
      secret: SecretArg.regex(/^[^\r\n]*$/, 'a header value cannot contain line breaks'),
    }),
    z.object({
      ...Target,
      kind: z.literal('environment_variable'),
      name: z.string().trim(),
      hosts: z.union([Hosts, z.literal('any')]),
      injectInto: z.enum(['header', 'body', 'both']).default('header'),
      secret: SecretArg,
    }),
  ]),
);
export type AddArgs = z.infer<typeof AddArgs>;

/**
 * The wire's auth for a credential to add. A header or variable credential is checked by the wire's schema here, since
 * the in-process store takes what it is given; an MCP one is sent as given, since a stdio server's is named
 * `stdio:<server>`, which the in-process runtime matches and the API's URL schema (for a detached runtime) refuses.
 */
export function authOf(a: AddArgs): CredentialAuthParams {
  switch (a.kind) {
    case 'static_bearer':
      return { type: a.kind, mcp_server_url: a.url, token: a.token };
    case 'mcp_oauth':
      return { type: a.kind, mcp_server_url: a.url, access_token: a.token };
    case 'http_header':
      if (a.scheme === 'header' && !a.headerName) throw new Error('invalid credential: a "header" credential needs headerName, the header the secret goes in (e.g. X-Api-Key).');
      return checked({
        type: a.kind,
        allowed_hosts: a.hosts,
        scheme: a.scheme,
        ...(a.scheme === 'header' ? { header_name: a.headerName } : {}),
        ...(a.scheme === 'basic' && a.username ? { username: a.username } : {}),
        secret_value: a.secret,
      });
    case 'environment_variable':
      return checked({
        type: a.kind,
        secret_name: a.name,
        secret_value: a.secret,
        networking: a.hosts === 'any' ? { type: 'unrestricted' } : { type: 'limited', allowed_hosts: a.hosts },
        injection_location: { header: a.injectInto !== 'body', body: a.injectInto !== 'header' },
      });
  }
}

function checked(auth: unknown): CredentialAuthParams {
  const parsed = CredentialAuthParams.safeParse(auth);
  if (!parsed.success) throw new Error(`invalid credential: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * The vault's credential a new one takes the place of (a rotation): the one for the same MCP server, variable, or
 * set of hosts, which the runtime would refuse to hold twice. A header credential sent differently (another scheme
 * or header) cannot become the new one, since those never change after create.
 */
export function replaced(existing: readonly Credential[], auth: CredentialAuthParams): Credential | undefined {
  const same = existing.find((c) => identity(c.auth) === identity(auth));
  if (same?.auth.type === 'http_header' && auth.type === 'http_header') {
    const header = auth.scheme === 'header' ? auth.header_name : 'Authorization';
    if (same.auth.scheme !== auth.scheme || same.auth.header_name.toLowerCase() !== header?.toLowerCase()) {
      throw new Error(
        `credential ${same.id} already covers ${same.auth.allowed_hosts.join(', ')} with ${sentAs(same)}; a header credential's scheme and header never change, so remove it first (Hangar: Remove Credential) to send the secret another way.`,
      );
    }
  }
  return same;
}

/** The runtime's uniqueness key, except that an MCP credential rotates only one of its own kind, its URL normalised. */
function identity(auth: Credential['auth'] | CredentialAuthParams): string {
  return auth.type === 'static_bearer' || auth.type === 'mcp_oauth' ? `${auth.type}:${normaliseMcpUrl(auth.mcp_server_url)}` : matchKey(auth);
}

/** The update that gives an existing credential what a new add says: its secret, and the hosts or user name. */
export function rotation(auth: CredentialAuthParams): CredentialAuthUpdateParams {
  switch (auth.type) {
    case 'static_bearer':
      return { type: auth.type, token: auth.token };
    case 'mcp_oauth':
      return { type: auth.type, access_token: auth.access_token };
    case 'http_header':
      return { type: auth.type, secret_value: auth.secret_value, allowed_hosts: auth.allowed_hosts, ...(auth.username ? { username: auth.username } : {}) };
    case 'environment_variable':
      return { type: auth.type, secret_value: auth.secret_value, networking: auth.networking, injection_location: auth.injection_location };
  }
}

/** Whether the secret is a bearer token, which has no spaces (checked as it is typed). */
export function isToken(auth: Credential['auth']): boolean {
  return auth.type === 'static_bearer' || auth.type === 'mcp_oauth' || (auth.type === 'http_header' && auth.scheme === 'bearer');
}

/** The update that gives a credential a new secret and changes nothing else. */
export function newSecret(kind: Kind, secret: string): CredentialAuthUpdateParams {
  switch (kind) {
    case 'static_bearer':
      return { type: kind, token: secret };
    case 'mcp_oauth':
      return { type: kind, access_token: secret };
    case 'http_header':
    case 'environment_variable':
      return { type: kind, secret_value: secret };
  }
}

/** What a credential is for, in the words the commands use. */
export function describe(c: Credential): string {
  const a = c.auth;
  switch (a.type) {
    case 'static_bearer':
    case 'mcp_oauth':
      return a.mcp_server_url;
    case 'environment_variable':
      return `$${a.secret_name} (${a.networking.type === 'limited' ? a.networking.allowed_hosts.join(', ') : 'any allowed host'})`;
    case 'http_header':
      return `${a.allowed_hosts.join(', ')} (${sentAs(c)})`;
  }
}

function sentAs(c: Credential): string {
  if (c.auth.type !== 'http_header') return c.auth.type;
  return c.auth.scheme === 'header' ? `header ${c.auth.header_name}` : `Authorization: ${c.auth.scheme === 'bearer' ? 'Bearer' : `Basic, user ${c.auth.username ?? ''}`}`;
}
