import { z } from 'zod';
import { Metadata, MetadataPatch, Timestamp } from './common';

// Environments (reference §6) plus Hangar's local sandbox settings under config.hangar (ignored by hosted clients).
export const Networking = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('unrestricted') }),
  z.object({
    type: z.literal('limited'),
    allowed_hosts: z.array(z.string().min(1)).default([]),
    allow_package_managers: z.boolean().default(false),
    allow_mcp_servers: z.boolean().default(false),
  }),
]);
export type Networking = z.infer<typeof Networking>;

export const Packages = z.object({
  type: z.literal('packages').optional(),
  apt: z.array(z.string()).default([]),
  cargo: z.array(z.string()).default([]),
  gem: z.array(z.string()).default([]),
  go: z.array(z.string()).default([]),
  npm: z.array(z.string()).default([]),
  pip: z.array(z.string()).default([]),
});

export const SandboxLimits = z.object({
  memory_mb: z.number().int().min(64).max(1_048_576).default(2048),
  cpus: z.number().min(0.1).max(256).default(2),
  pids: z.number().int().min(16).max(1_000_000).default(512),
});
export type SandboxLimits = z.infer<typeof SandboxLimits>;

export const HangarSandboxConfig = z.object({
  provider: z.enum(['docker', 'local']).optional(),
  image: z.string().optional(),
  limits: SandboxLimits.prefault({}),
});

export const CloudConfig = z.object({
  type: z.literal('cloud'),
  // Local default is 'none': a sandbox gets no network unless the environment says so (ARCHITECTURE.md invariant 5).
  networking: Networking.default({ type: 'none' }),
  packages: Packages.prefault({}),
  hangar: HangarSandboxConfig.prefault({}),
});
export const EnvironmentConfig = z.discriminatedUnion('type', [CloudConfig, z.object({ type: z.literal('self_hosted') })]);
export type EnvironmentConfig = z.infer<typeof EnvironmentConfig>;
export type CloudConfig = z.infer<typeof CloudConfig>;

export const Environment = z.object({
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
});
export type Environment = z.infer<typeof Environment>;

export const EnvironmentCreateParams = z.object({
  name: z.string().min(1).max(256),
  description: z.string().max(2048).nullish(),
  metadata: Metadata.optional(),
  scope: z.enum(['organization', 'account']).optional(),
  config: z.unknown().optional(),
});
export const EnvironmentUpdateParams = z.object({
  name: z.string().min(1).max(256).optional(),
  description: z.string().max(2048).nullish(),
  metadata: MetadataPatch.nullish(),
  scope: z.enum(['organization', 'account']).optional(),
  config: z.record(z.string(), z.unknown()).optional(),
});
export type EnvironmentCreateParams = z.infer<typeof EnvironmentCreateParams>;
export type EnvironmentUpdateParams = z.infer<typeof EnvironmentUpdateParams>;
