import * as z from 'zod';
import { lazySchema } from './lazy';
import { Metadata, MetadataPatch, Timestamp } from './common';

// Credentials are injected into HTTP(S) requests only: a javascript:, file: or data: URL names no server to call.
const HttpUrl = lazySchema(() => z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }));

// Vaults and credentials (reference §2.7, §7.7). Params carry secrets; the response forms never do.
export const Vault = lazySchema(() => z.object({
  type: z.literal('vault'),
  id: z.string(),
  display_name: z.string(),
  metadata: Metadata,
  created_at: Timestamp,
  updated_at: Timestamp,
  archived_at: Timestamp.nullable(),
}));
export type Vault = z.infer<typeof Vault>;

export const VaultCreateParams = lazySchema(() => z.object({ display_name: z.string().min(1).max(255), metadata: Metadata.optional() }));
export const VaultUpdateParams = lazySchema(() => z.object({ display_name: z.string().min(1).max(255).nullish(), metadata: MetadataPatch.nullish() }));
export type VaultCreateParams = z.infer<typeof VaultCreateParams>;
export type VaultUpdateParams = z.infer<typeof VaultUpdateParams>;

// A bare hostname, an IPv4 address or a `*.` wildcard: no scheme, port, path or IPv6 (SDK field docs).
export const CredentialHost = lazySchema(() => z
  .string()
  .regex(/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/, 'allowed_hosts entries are bare hosts like api.example.com, 192.0.2.1 or *.example.com'));
export const CredentialNetworking = lazySchema(() => z.discriminatedUnion('type', [
  z.object({ type: z.literal('unrestricted') }),
  z.object({ type: z.literal('limited'), allowed_hosts: z.array(CredentialHost).min(1).max(16) }),
]));
const InjectionLocation = lazySchema(() => z.object({ header: z.boolean(), body: z.boolean() }));
export const SecretName = lazySchema(() => z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,255}$/, 'secret_name is an environment variable name: letters, digits and _, not starting with a digit'));
const Secret = lazySchema(() => z.string().min(1).max(65_536));

// Hangar extension (not in the hosted API): a credential the egress proxy puts in a request header itself, for hosts
// whose clients cannot be handed a placeholder (git over HTTPS asks for no token, it just gets the header).
// scheme bearer: `Authorization: Bearer <secret>`; basic: `Authorization: Basic base64(<username>:<secret>)`;
// header: `<header_name>: <secret>`. The proxy replaces any header of that name the sandbox sent.
export const HeaderName = lazySchema(() => z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, 'header_name must be an HTTP header name')
  .refine((n) => !['host', 'connection', 'content-length', 'transfer-encoding', 'te', 'upgrade', 'trailer', 'keep-alive'].includes(n.toLowerCase()) && !/^proxy-/i.test(n), 'header_name cannot be a connection-level header'));
export const BasicUsername = lazySchema(() => z.string().min(1).max(256).regex(/^[^:\r\n]*$/, 'username cannot contain ":" or line breaks'));
export const HttpHeaderScheme = lazySchema(() => z.enum(['bearer', 'basic', 'header']));
const HttpHeaderHosts = lazySchema(() => z.array(CredentialHost).min(1).max(16));

const TokenEndpointAuthParams = lazySchema(() => z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('client_secret_basic'), client_secret: Secret }),
  z.object({ type: z.literal('client_secret_post'), client_secret: Secret }),
]));
const RefreshParams = lazySchema(() => z.object({
  client_id: z.string().min(1),
  refresh_token: Secret,
  token_endpoint: HttpUrl,
  token_endpoint_auth: TokenEndpointAuthParams,
  resource: z.string().nullish(),
  scope: z.string().nullish(),
}));

export const CredentialAuthParams = lazySchema(() => z.discriminatedUnion('type', [
  z.object({ type: z.literal('mcp_oauth'), mcp_server_url: HttpUrl, access_token: Secret, expires_at: z.iso.datetime({ offset: true }).nullish(), refresh: RefreshParams.nullish() }),
  z.object({ type: z.literal('static_bearer'), mcp_server_url: HttpUrl, token: Secret }),
  z.object({
    type: z.literal('environment_variable'),
    secret_name: SecretName,
    secret_value: Secret,
    networking: CredentialNetworking,
    injection_location: InjectionLocation.partial().optional(),
  }),
  z.object({
    type: z.literal('http_header'),
    allowed_hosts: HttpHeaderHosts,
    scheme: HttpHeaderScheme.default('bearer'),
    header_name: HeaderName.nullish(),
    username: BasicUsername.nullish(),
    secret_value: Secret,
  }),
]));
export type CredentialAuthParams = z.infer<typeof CredentialAuthParams>;

const immutable = (field: string) => z.never({ error: `${field} cannot change after create; create a new credential instead` }).optional();
export const CredentialAuthUpdateParams = lazySchema(() => z.discriminatedUnion('type', [
  z.object({
    type: z.literal('mcp_oauth'),
    mcp_server_url: immutable('mcp_server_url'),
    access_token: Secret.nullish(),
    expires_at: z.iso.datetime({ offset: true }).nullish(),
    refresh: z
      .object({
        client_id: immutable('refresh.client_id'),
        refresh_token: Secret.nullish(),
        scope: z.string().nullish(),
        token_endpoint_auth: z
          .object({ type: z.enum(['client_secret_basic', 'client_secret_post']), client_secret: Secret.nullish() })
          .optional(),
      })
      .nullish(),
  }),
  z.object({ type: z.literal('static_bearer'), mcp_server_url: immutable('mcp_server_url'), token: Secret.nullish() }),
  z.object({
    type: z.literal('environment_variable'),
    secret_name: immutable('secret_name'),
    secret_value: Secret.nullish(),
    networking: CredentialNetworking.nullish(),
    injection_location: InjectionLocation.partial().optional(),
  }),
  z.object({
    type: z.literal('http_header'),
    scheme: immutable('scheme'),
    header_name: immutable('header_name'),
    allowed_hosts: HttpHeaderHosts.nullish(),
    username: BasicUsername.nullish(),
    secret_value: Secret.nullish(),
  }),
]));
export type CredentialAuthUpdateParams = z.infer<typeof CredentialAuthUpdateParams>;

export const CredentialAuth = lazySchema(() => z.discriminatedUnion('type', [
  z.object({
    type: z.literal('mcp_oauth'),
    mcp_server_url: z.string(),
    expires_at: z.string().nullable(),
    refresh: z
      .object({
        client_id: z.string(),
        token_endpoint: z.string(),
        token_endpoint_auth: z.object({ type: z.enum(['none', 'client_secret_basic', 'client_secret_post']) }),
        resource: z.string().nullable(),
        scope: z.string().nullable(),
      })
      .nullable(),
  }),
  z.object({ type: z.literal('static_bearer'), mcp_server_url: z.string() }),
  z.object({ type: z.literal('environment_variable'), secret_name: z.string(), injection_location: InjectionLocation, networking: CredentialNetworking }),
  z.object({ type: z.literal('http_header'), allowed_hosts: z.array(z.string()), scheme: HttpHeaderScheme, header_name: z.string(), username: z.string().nullable() }),
]));
export type CredentialAuth = z.infer<typeof CredentialAuth>;

export const Credential = lazySchema(() => z.object({
  type: z.literal('vault_credential'),
  id: z.string(),
  vault_id: z.string(),
  display_name: z.string().nullable(),
  metadata: Metadata,
  auth: CredentialAuth,
  created_at: Timestamp,
  updated_at: Timestamp,
  archived_at: Timestamp.nullable(),
}));
export type Credential = z.infer<typeof Credential>;

export const CredentialCreateParams = lazySchema(() => z.object({ auth: CredentialAuthParams, display_name: z.string().max(255).nullish(), metadata: Metadata.optional() }));
export const CredentialUpdateParams = lazySchema(() => z.object({ auth: CredentialAuthUpdateParams.optional(), display_name: z.string().max(255).nullish(), metadata: MetadataPatch.nullish() }));
export type CredentialCreateParams = z.infer<typeof CredentialCreateParams>;
export type CredentialUpdateParams = z.infer<typeof CredentialUpdateParams>;

/**
 * What the Vault holds under `${vault_id}/${credential_id}` (JSON): the only place a credential's secrets live.
 * Readers: the egress proxy and the harness, never a surface.
 */
export const CredentialSecret = lazySchema(() => z.discriminatedUnion('type', [
  z.object({ type: z.literal('mcp_oauth'), access_token: z.string(), refresh_token: z.string().nullable(), client_secret: z.string().nullable() }),
  z.object({ type: z.literal('static_bearer'), token: z.string() }),
  z.object({ type: z.literal('environment_variable'), secret_value: z.string() }),
  z.object({ type: z.literal('http_header'), secret_value: z.string() }),
]));
export type CredentialSecret = z.infer<typeof CredentialSecret>;
