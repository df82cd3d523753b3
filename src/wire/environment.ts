import * as z from 'zod';
import { lazySchema } from './lazy';
import { Metadata, MetadataPatch, Timestamp } from './common';

// Environments (reference §6), in exactly the shape of the SDK's types. Hangar's own sandbox settings (provider,
// image, limits) travel as `hangar.*` metadata keys, which typed clients read and write as plain strings.
export const Networking = lazySchema(() => z.discriminatedUnion('type', [
  z.object({ type: z.literal('unrestricted') }),
  z.object({
    type: z.literal('limited'),
    allowed_hosts: z.array(z.string().min(1)).default([]),
    allow_package_managers: z.boolean().default(false),
    allow_mcp_servers: z.boolean().default(false),
  }),
]));
export type Networking = z.infer<typeof Networking>;

/** Hangar's local default, said in the wire's terms: limited, with nothing allowed. The sandbox gets no network. */
export const NO_NETWORK = { type: 'limited', allowed_hosts: [], allow_package_managers: false, allow_mcp_servers: false } as const satisfies Networking;

/** True when nothing outside the sandbox is reachable, so it needs no network interface at all. */
export function reachesNothing(n: Networking): boolean {
  return n.type === 'limited' && n.allowed_hosts.length === 0 && !n.allow_package_managers && !n.allow_mcp_servers;
}

// `{type: "none"}` is how Hangar used to say NO_NETWORK (records stored before, and older requests): read as that.
const isLegacyNone = (v: unknown) => typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'none';
const NetworkingOrLegacy = lazySchema(() => z.preprocess((v) => (isLegacyNone(v) ? NO_NETWORK : v), Networking));

// A package is one word in its manager's own pin syntax (pip `pkg==1.0`, npm `pkg@1`, gem `rails:7.1.0`, a go module
// path); a leading "-" would be read as an option by the manager, so it is refused.
const PackageName = lazySchema(() => z.string().regex(/^[A-Za-z0-9@._~/][^\s]{0,213}$/, 'must be one package name in its manager\'s pin syntax (no spaces, no leading "-")'));
const PackageList = lazySchema(() => z.array(PackageName).max(200).default([]));
export const Packages = lazySchema(() => z.object({
  type: z.literal('packages').optional(),
  apt: PackageList,
  cargo: PackageList,
  gem: PackageList,
  go: PackageList,
  npm: PackageList,
  pip: PackageList,
}));
export type Packages = z.infer<typeof Packages>;

/** True when the environment asks for any package. */
export function hasPackages(p: Packages): boolean {
  return [p.apt, p.cargo, p.gem, p.go, p.npm, p.pip].some((l) => l.length > 0);
}

export const SandboxLimits = lazySchema(() => z.object({
  memory_mb: z.number().int().min(64).max(1_048_576).default(2048),
  cpus: z.number().min(0.1).max(256).default(2),
  pids: z.number().int().min(16).max(1_000_000).default(512),
}));
export type SandboxLimits = z.infer<typeof SandboxLimits>;

export const HangarSandboxConfig = lazySchema(() => z.object({
  provider: z.enum(['docker', 'local']).optional(),
  image: z.string().optional(),
  limits: SandboxLimits.prefault({}),
}));
export type HangarSandboxConfig = z.infer<typeof HangarSandboxConfig>;

export const CloudConfig = lazySchema(() => z.object({
  type: z.literal('cloud'),
  // Local default: no network unless the environment says so (ARCHITECTURE.md invariant 5).
  networking: NetworkingOrLegacy.default(NO_NETWORK),
  packages: Packages.prefault({}),
}));
export const EnvironmentConfig = lazySchema(() => z.discriminatedUnion('type', [CloudConfig, z.object({ type: z.literal('self_hosted') })]));
export type EnvironmentConfig = z.infer<typeof EnvironmentConfig>;
export type CloudConfig = z.infer<typeof CloudConfig>;

/** What a sandbox is made from: the environment's config plus Hangar's settings, as a session records them. */
export const SandboxEnvironment = lazySchema(() => CloudConfig.extend({ hangar: HangarSandboxConfig.prefault({}) }));
export type SandboxEnvironment = z.infer<typeof SandboxEnvironment>;

// The metadata keys that carry Hangar's settings; values are strings, as metadata values are.
const LIMIT_KEYS = { memory_mb: 'hangar.memory_mb', cpus: 'hangar.cpus', pids: 'hangar.pids' } as const;
export const HANGAR_METADATA_KEYS = ['hangar.provider', 'hangar.image', ...Object.values(LIMIT_KEYS)] as const;
const number = (inner: z.ZodNumber) => z.string().trim().regex(/^-?\d+(\.\d+)?$/, 'must be a number').transform(Number).pipe(inner);
const HangarMetadata = lazySchema(() => z.object({
  'hangar.provider': z.enum(['docker', 'local'], { error: 'must be "docker" or "local"' }).optional(),
  'hangar.image': z.string().trim().min(1, 'must name an image').optional(),
  'hangar.memory_mb': number(z.number().int().min(64).max(1_048_576)).optional(),
  'hangar.cpus': number(z.number().min(0.1).max(256)).optional(),
  'hangar.pids': number(z.number().int().min(16).max(1_000_000)).optional(),
}));

/** Hangar's settings from an environment's metadata, or a plain sentence saying which key is wrong and why. */
export function hangarSettings(metadata: Readonly<Record<string, string>>): { ok: true; settings: HangarSandboxConfig } | { ok: false; problem: string } {
  const unknown = Object.keys(metadata).filter((k) => k.startsWith('hangar.') && !(HANGAR_METADATA_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    return { ok: false, problem: `metadata key "${unknown[0]}" is not a Hangar setting; Hangar reads ${HANGAR_METADATA_KEYS.map((k) => `"${k}"`).join(', ')}.` };
  }
  const parsed = HangarMetadata.safeParse(metadata);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, problem: `metadata "${String(issue.path[0])}" ${issue.message} (got ${JSON.stringify(metadata[String(issue.path[0])])}).` };
  }
  const m = parsed.data;
  const limits = SandboxLimits.parse({ memory_mb: m['hangar.memory_mb'], cpus: m['hangar.cpus'], pids: m['hangar.pids'] });
  return { ok: true, settings: { ...(m['hangar.provider'] ? { provider: m['hangar.provider'] } : {}), ...(m['hangar.image'] ? { image: m['hangar.image'] } : {}), limits } };
}

/**
 * A metadata patch that makes an environment carry these settings: limits at their default are removed (absent means
 * default), so the keys take as little of the 16 metadata slots as they can. `image` is left alone when not given.
 */
export function hangarMetadataPatch(settings: { provider?: 'docker' | 'local'; image?: string; limits?: Partial<SandboxLimits> }): Record<string, string | null> {
  const defaults = SandboxLimits.parse({});
  const patch: Record<string, string | null> = {};
  if (settings.provider) patch['hangar.provider'] = settings.provider;
  if (settings.image) patch['hangar.image'] = settings.image;
  for (const [k, key] of Object.entries(LIMIT_KEYS) as [keyof SandboxLimits, string][]) {
    const v = settings.limits?.[k];
    if (v !== undefined) patch[key] = v === defaults[k] ? null : String(v);
  }
  return patch;
}

export const Environment = lazySchema(() => z.object({
  type: z.literal('environment'),
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  metadata: Metadata,
  scope: z.enum(['organization', 'account']).optional(),
  config: EnvironmentConfig,
  created_at: Timestamp,
  updated_at: Timestamp,
  archived_at: Timestamp.nullable(),
}));
export type Environment = z.infer<typeof Environment>;

export const EnvironmentCreateParams = lazySchema(() => z.object({
  name: z.string().min(1).max(256),
  description: z.string().max(2048).nullish(),
  metadata: Metadata.optional(),
  scope: z.enum(['organization', 'account']).optional(),
  config: z.unknown().optional(),
}));
export const EnvironmentUpdateParams = lazySchema(() => z.object({
  name: z.string().min(1).max(256).optional(),
  description: z.string().max(2048).nullish(),
  metadata: MetadataPatch.nullish(),
  scope: z.enum(['organization', 'account']).optional(),
  config: z.record(z.string(), z.unknown()).optional(),
}));
export type EnvironmentCreateParams = z.infer<typeof EnvironmentCreateParams>;
export type EnvironmentUpdateParams = z.infer<typeof EnvironmentUpdateParams>;
