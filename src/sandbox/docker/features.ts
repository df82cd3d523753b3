import path from 'node:path';
import { parse } from 'jsonc-parser';
import * as z from 'zod';
import { REFUSED } from './devcontainer-settings';
import { DevcontainerError } from './errors';
import { featureKind, fetchFeature, parseOciRef, type FetchedFeature } from './feature-source';

// A devcontainer's `features` the way the spec has them (containers.dev/implementors/features): each feature's
// devcontainer-feature.json read, its options given as environment variables to its install.sh (option ids made safe
// and upper-cased, defaults from the feature), features a feature dependsOn fetched too, and the install order computed
// in rounds: a feature installs once everything it dependsOn, and every feature it installsAfter that is present, has
// installed; overrideFeatureInstallOrder raises the priority of the features it names; ties go by id. The settings a
// feature may ask of the container that would weaken the sandbox are not applied, and named.

export type OptionValue = string | boolean;
export const FeatureOptions = z.union([z.string(), z.boolean(), z.record(z.string(), z.union([z.string(), z.boolean()]))]);
export type FeatureOptions = z.infer<typeof FeatureOptions>;

const Command = z.union([z.string(), z.array(z.string()), z.record(z.string(), z.union([z.string(), z.array(z.string())]))]);

export const FeatureMetadata = z.looseObject({
  id: z.string().min(1),
  version: z.string().optional(),
  options: z.record(z.string(), z.looseObject({ default: z.union([z.string(), z.boolean()]).optional() })).default({}),
  containerEnv: z.record(z.string(), z.string()).default({}),
  dependsOn: z.record(z.string(), FeatureOptions).default({}),
  installsAfter: z.array(z.string()).default([]),
  legacyIds: z.array(z.string()).default([]),
  onCreateCommand: Command.optional(),
  updateContentCommand: Command.optional(),
  postCreateCommand: Command.optional(),
  postStartCommand: Command.optional(),
  postAttachCommand: Command.optional(),
});
export type FeatureMetadata = z.infer<typeof FeatureMetadata>;

/** What a feature may ask of the container that Hangar does not do, with the reason. */
const FEATURE_REFUSED: Record<string, string> = {
  privileged: REFUSED.privileged as string,
  capAdd: REFUSED.capAdd as string,
  securityOpt: REFUSED.securityOpt as string,
  mounts: REFUSED.mounts as string,
  init: 'the sandbox runs its own init',
  entrypoint: 'the sandbox starts its own process; a feature\'s entrypoint would not run',
};

export interface ResolvedFeature {
  /** The id as devcontainer.json (or a dependsOn) spells it. */
  id: string;
  source: FetchedFeature;
  metadata: FeatureMetadata;
  /** The install script's variables: each option as its safe upper-cased name. */
  optionEnv: Record<string, string>;
  /** Options as given, for the cache key. */
  options: FeatureOptions;
}

/** An option id as an environment variable name, as the spec makes it. */
export const safeId = (name: string) => name.replace(/[^\w_]/g, '_').replace(/^[\d_]+/g, '_').toUpperCase();

/** The options after defaults: a string or boolean in place of an object sets the `version` option, when there is one. */
export function optionValues(metadata: FeatureMetadata, given: FeatureOptions): Record<string, OptionValue> {
  const defaults: Record<string, OptionValue> = {};
  for (const [name, o] of Object.entries(metadata.options)) if (o.default !== undefined) defaults[name] = o.default;
  if (typeof given === 'object') return { ...defaults, ...given };
  return 'version' in metadata.options ? { ...defaults, version: given } : defaults;
}

/** The settings a feature asks for that Hangar does not apply, each named with its feature and the reason. */
export function refusedFeatureSettings(f: ResolvedFeature): string[] {
  const raw = f.metadata as Record<string, unknown>;
  return Object.keys(FEATURE_REFUSED)
    .filter((k) => raw[k] !== undefined && raw[k] !== false && !(Array.isArray(raw[k]) && raw[k].length === 0))
    .map((k) => `feature ${f.id}: ${k} (${FEATURE_REFUSED[k]})`);
}

async function resolveOne(id: string, options: FeatureOptions, dir: string, repo: string): Promise<ResolvedFeature> {
  const source = await fetchFeature(id, dir, repo);
  const meta = source.files.find((f) => f.name === 'devcontainer-feature.json');
  if (!meta) throw new DevcontainerError(`the feature ${id} has no devcontainer-feature.json`);
  if (!source.files.some((f) => f.name === 'install.sh')) throw new DevcontainerError(`the feature ${id} has no install.sh`);
  const parsed = FeatureMetadata.safeParse(parse(meta.content.toString('utf8'), [], { allowTrailingComma: true }));
  if (!parsed.success) throw new DevcontainerError(`the feature ${id}'s devcontainer-feature.json: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const values = optionValues(parsed.data, options);
  const optionEnv = Object.fromEntries(Object.entries(values).map(([k, v]) => [safeId(k), String(v)]));
  return { id, source, metadata: parsed.data, optionEnv, options };
}

/** Whether `f` is what `ref` (an installsAfter/dependsOn/override entry) names: same folder, URL or OCI resource. */
function names(f: ResolvedFeature, ref: string, dir: string): boolean {
  switch (featureKind(ref)) {
    case 'local':
      return f.source.kind === 'local' && path.resolve(dir, ref) === f.source.resource;
    case 'tarball':
      return f.source.resource === ref;
    case 'oci': {
      if (f.source.kind !== 'oci') return false;
      let parsed;
      try {
        parsed = parseOciRef(ref);
      } catch {
        return false;
      }
      const wanted = `${parsed.registry}/${parsed.repository}`;
      const prefix = wanted.slice(0, wanted.lastIndexOf('/'));
      return wanted === f.source.resource || f.metadata.legacyIds.some((legacy) => `${prefix}/${legacy}` === f.source.resource);
    }
  }
}

/**
 * The devcontainer's features and everything they dependsOn, fetched, in install order. `dir` is the folder of
 * devcontainer.json (local features resolve from it), `repo` the repository they must stay inside.
 */
export async function resolveFeatures(features: Record<string, FeatureOptions>, override: readonly string[], dir: string, repo: string, onProgress?: (m: string) => void): Promise<ResolvedFeature[]> {
  const all: ResolvedFeature[] = [];
  const queue = Object.entries(features);
  const seen = new Set<string>();
  while (queue.length > 0) {
    const [id, options] = queue.shift() as [string, FeatureOptions];
    const key = `${id}\0${JSON.stringify(options)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    onProgress?.(`Fetching the devcontainer feature ${id}`);
    const f = await resolveOne(id, options, dir, repo);
    if (all.some((g) => g.source.resource === f.source.resource && JSON.stringify(g.optionEnv) === JSON.stringify(f.optionEnv))) continue;
    all.push(f);
    for (const [dep, depOptions] of Object.entries(f.metadata.dependsOn)) queue.push([dep, depOptions]);
  }
  return installOrder(all, override, dir);
}

/** The spec's round-based order (see the top of this file); a cycle or a missing dependency is an error naming them. */
export function installOrder(all: readonly ResolvedFeature[], override: readonly string[], dir: string): ResolvedFeature[] {
  const priority = (f: ResolvedFeature) => {
    const i = override.findIndex((ref) => names(f, ref, dir));
    return i < 0 ? 0 : override.length - i;
  };
  const order: ResolvedFeature[] = [];
  const installed = (ref: string) => order.some((g) => names(g, ref, dir));
  const present = (ref: string) => all.some((g) => names(g, ref, dir));
  let work = [...all];
  while (work.length > 0) {
    const ready = work.filter((f) => Object.keys(f.metadata.dependsOn).every(installed) && f.metadata.installsAfter.filter(present).every(installed));
    if (ready.length === 0) {
      throw new DevcontainerError(`the devcontainer's features cannot be ordered: ${work.map((f) => `${f.id} (dependsOn ${Object.keys(f.metadata.dependsOn).join(', ') || 'nothing'}; installsAfter ${f.metadata.installsAfter.join(', ') || 'nothing'})`).join('; ')} wait on each other`);
    }
    const top = Math.max(...ready.map(priority));
    const round = ready.filter((f) => priority(f) === top).sort((a, b) => a.source.resource.localeCompare(b.source.resource) || a.id.localeCompare(b.id));
    order.push(...round);
    work = work.filter((f) => !round.includes(f));
  }
  return order;
}
