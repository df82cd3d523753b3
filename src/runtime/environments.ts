import * as z from 'zod';
import {
  Environment,
  EnvironmentConfig,
  applyMetadataPatch,
  hangarMetadataPatch,
  hangarSettings,
  hasPackages,
  newId,
  nowIso,
  type EnvironmentCreateParams,
  type EnvironmentUpdateParams,
  type Metadata,
  type SandboxEnvironment,
} from '../wire';
import { JsonStore, type Page } from '../log';
import { conflict, invalid, notFound } from './errors';

// Environments are sandbox templates. Locally the default network reaches nothing (limited, nothing allowed; the
// hosted default is unrestricted): an agent gets egress only when its environment asks for it. Hangar's own settings
// (provider, image, limits) are `hangar.*` metadata keys, checked whenever metadata changes.

export class EnvironmentStore {
  private readonly store: JsonStore<Environment>;

  constructor(root: string) {
    this.store = new JsonStore(root, 'environments', StoredEnvironment);
  }

  async create(params: EnvironmentCreateParams): Promise<Environment> {
    await this.assertNameFree(params.name);
    const now = nowIso();
    const env: Environment = {
      type: 'environment',
      id: newId('env'),
      name: params.name,
      description: params.description ?? null,
      metadata: checkMetadata(params.metadata ?? {}),
      ...(params.scope ? { scope: params.scope } : {}),
      config: parseConfig(params.config ?? { type: 'cloud' }),
      created_at: now,
      updated_at: now,
      archived_at: null,
    };
    await this.store.put(env);
    return env;
  }

  async retrieve(id: string): Promise<Environment> {
    const env = await this.store.get(id);
    if (!env) throw notFound('Environment', id, 'environment_not_found');
    return env;
  }

  async update(id: string, params: EnvironmentUpdateParams): Promise<Environment> {
    const current = await this.retrieve(id);
    if (current.archived_at) throw invalid(`Environment ${id} is archived and cannot be changed.`, 'environment_archived');
    if (params.name && params.name !== current.name) await this.assertNameFree(params.name);
    let config = current.config;
    if (params.config) {
      if (params.config.type !== undefined && params.config.type !== current.config.type) {
        throw invalid(`config.type cannot change from "${current.config.type}" to "${String(params.config.type)}"; create a new environment.`, 'invalid_config_type_change');
      }
      // Omitted sub-fields keep their value; given ones replace.
      config = parseConfig({ ...(deepMerge(current.config, params.config) as Record<string, unknown>), type: current.config.type });
    }
    const next: Environment = {
      ...current,
      name: params.name ?? current.name,
      description: params.description === undefined ? current.description : params.description || null,
      metadata: params.metadata ? checkMetadata(applyMetadataPatch(current.metadata, params.metadata)) : current.metadata,
      ...(params.scope ? { scope: params.scope } : {}),
      config,
      updated_at: nowIso(),
    };
    await this.store.put(next);
    return next;
  }

  async archive(id: string): Promise<Environment> {
    const current = await this.retrieve(id);
    if (current.archived_at) return current;
    const next = { ...current, archived_at: nowIso(), updated_at: nowIso() };
    await this.store.put(next);
    return next;
  }

  async delete(id: string): Promise<{ id: string; type: 'environment_deleted' }> {
    await this.retrieve(id);
    await this.store.delete(id);
    return { id, type: 'environment_deleted' };
  }

  list(q: { limit?: number; page?: string; include_archived?: boolean }): Promise<Page<Environment>> {
    return this.store.list({ limit: q.limit, after: q.page, where: (e) => q.include_archived === true || !e.archived_at });
  }

  /** The environment `hangar run` and the extension use when none is chosen; created on first use. */
  async ensureDefault(): Promise<Environment> {
    const page = await this.store.list({ limit: 1000, where: (e) => e.name === 'default' && !e.archived_at });
    return page.data[0] ?? this.create({ name: 'default', description: 'Hangar default: no network, default limits' });
  }

  private async assertNameFree(name: string): Promise<void> {
    const page = await this.store.list({ limit: 1, where: (e) => e.name === name && !e.archived_at });
    if (page.data.length > 0) throw conflict(`An environment named "${name}" already exists; pick another name or update that one.`);
  }
}

/** Objects merge key by key (omitted sub-fields keep their value); arrays and scalars replace. */
function deepMerge(base: unknown, patch: unknown): unknown {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(base) || !isObj(patch)) return patch === undefined ? base : patch;
  const out: Record<string, unknown> = { ...base };
  // A networking type change replaces the whole block, so an old allow-list never leaks into a new mode.
  for (const [k, v] of Object.entries(patch)) out[k] = isObj(v) && isObj(base[k]) && (v.type === undefined || v.type === base[k].type) ? deepMerge(base[k], v) : v;
  return out;
}

function parseConfig(raw: unknown): EnvironmentConfig {
  if (typeof raw === 'object' && raw !== null && 'hangar' in raw) {
    throw invalid(`config.hangar is not part of the environment config; set Hangar's sandbox settings as metadata keys instead (${metadataExample}).`);
  }
  const parsed = EnvironmentConfig.safeParse(raw);
  if (!parsed.success) throw invalid(`config is invalid: ${z.prettifyError(parsed.error)}`);
  const config = parsed.data;
  if (config.type === 'cloud' && config.networking.type === 'limited') {
    if (hasPackages(config.packages) && !config.networking.allow_package_managers) {
      throw invalid('packages need allow_package_managers: true under limited networking, or the install cannot reach its registry.');
    }
  }
  return config;
}

const metadataExample = '"metadata": {"hangar.image": "node:20", "hangar.memory_mb": "4096", "hangar.cpus": "2", "hangar.pids": "512", "hangar.provider": "docker"}';

function checkMetadata(metadata: Metadata): Metadata {
  const read = hangarSettings(metadata);
  if (!read.ok) throw invalid(read.problem, 'invalid_metadata');
  return metadata;
}

/**
 * Why a session of this environment cannot run on `provider`, or null. The local provider runs commands on the user's
 * machine without isolation: it cannot install system packages for one session (apt as root on the host, or npm -g
 * into the user's own Node), so packages need the Docker provider (ARCHITECTURE.md invariant 8).
 */
export function providerProblem(sandbox: SandboxEnvironment, provider: 'local' | 'docker'): string | null {
  if (provider !== 'local' || !hasPackages(sandbox.packages)) return null;
  const listed = Object.entries(sandbox.packages)
    .filter((e): e is [string, string[]] => Array.isArray(e[1]) && e[1].length > 0)
    .map(([m, l]) => `${m}: ${l.join(', ')}`)
    .join('; ');
  return `The environment installs packages (${listed}), which the local provider cannot do: it runs commands on this machine without isolation and would install them into your own system. Use the Docker provider (--provider docker, or hangar.sandbox.provider "docker" in VS Code), or remove the packages from the environment.`;
}

/** What a session's sandbox is made from: a cloud environment's config and its Hangar settings. */
export function sandboxEnvironment(env: Environment): SandboxEnvironment {
  if (env.config.type !== 'cloud') throw invalid('Self-hosted environments are not supported by the local runtime; use a cloud (local sandbox) environment.');
  const read = hangarSettings(env.metadata);
  if (!read.ok) throw invalid(`Environment ${env.id}: ${read.problem} Fix it with an update of the environment's metadata.`, 'invalid_metadata');
  return { ...env.config, hangar: read.settings };
}

// Records stored before the wire form: `config.hangar` moves into metadata and `networking: {type: "none"}` reads as
// limited-with-nothing-allowed (the config schema does that). The count limit on metadata is for requests; a record
// that held many keys already keeps them all plus its settings.
const StoredEnvironment = z.preprocess(
  (raw) => {
    if (typeof raw !== 'object' || raw === null) return raw;
    const env = raw as { config?: unknown; metadata?: unknown };
    if (typeof env.config !== 'object' || env.config === null || !('hangar' in env.config)) return raw;
    const { hangar, ...config } = env.config as { hangar: unknown };
    const legacy = z.object({ provider: z.enum(['docker', 'local']).optional(), image: z.string().optional(), limits: z.record(z.string(), z.number()).optional() }).safeParse(hangar);
    const moved = legacy.success ? hangarMetadataPatch(legacy.data) : {};
    const kept = Object.entries(moved).filter((e): e is [string, string] => e[1] !== null);
    return { ...env, config, metadata: { ...(env.metadata as Record<string, string> | undefined), ...Object.fromEntries(kept) } };
  },
  Environment.extend({ metadata: z.record(z.string(), z.string()) }),
);
