import { isDeepStrictEqual } from 'node:util';
import * as vscode from 'vscode';
import * as z from 'zod';
import { DEFAULT_MODEL } from '../model/types';
import { RUNTIME_SETTINGS } from './connection/runtime-target';

// The contributed settings (package.json contributes.configuration), read and validated in one place. A value a
// user mistyped in settings.json falls back to its default, with a warning that names it (settingsProblems, shown at
// activation and when settings change), instead of breaking activation. The model catalogue overrides
// (`hangar.models`) are the exception: a wrong one is refused with an error the user sees (runtime-host.ts), because
// a wrong price or limit must never look applied.

const Settings = z.object({
  modelId: z.string().min(1).catch(DEFAULT_MODEL),
  baseUrl: z.union([z.url({ protocol: /^https?$/ }), z.literal('')]).catch(''),
  maxTokens: z.number().int().min(1).max(1_000_000).catch(16_000),
  provider: z.enum(['auto', 'local', 'docker']).catch('auto'),
  memoryMb: z.number().int().min(64).max(1_048_576).catch(2048),
  cpus: z.number().min(0.1).max(256).catch(2),
  pids: z.number().int().min(16).max(1_000_000).catch(512),
  warmPool: z.number().int().min(0).max(8).catch(1),
  // As `hangar serve`'s --warm-pool-max: what a burst of sessions (best-of, the local API) may grow the pool to.
  warmPoolMax: z.number().int().min(0).max(64).catch(20),
  dockerHost: z.string().catch(''),
  defaultAgent: z.string().catch(''),
  apiPort: z.number().int().min(0).max(65_535).catch(0),
  webSearchUrl: z.union([z.url({ protocol: /^https?$/ }), z.literal('')]).catch(''),
  defaultBudgetUsd: z.number().min(0).max(1_000_000).catch(0),
});
export type HangarSettings = z.infer<typeof Settings>;

/** Each setting's name under `hangar.`. */
const KEYS: Record<keyof HangarSettings, string> = {
  modelId: 'model.id',
  baseUrl: 'model.baseUrl',
  maxTokens: 'model.maxTokens',
  provider: 'sandbox.provider',
  memoryMb: 'sandbox.memoryMb',
  cpus: 'sandbox.cpus',
  pids: 'sandbox.pids',
  warmPool: 'sandbox.warmPool',
  warmPoolMax: 'sandbox.warmPoolMax',
  dockerHost: 'sandbox.dockerHost',
  defaultAgent: 'defaultAgent',
  apiPort: 'api.port',
  webSearchUrl: 'webSearch.url',
  defaultBudgetUsd: 'budget.defaultUsd',
};

function readRaw(): Record<keyof HangarSettings, unknown> {
  const c = vscode.workspace.getConfiguration('hangar');
  return Object.fromEntries(Object.entries(KEYS).map(([field, key]) => [field, c.get(key)])) as Record<keyof HangarSettings, unknown>;
}

export function readSettings(): HangarSettings {
  return Settings.parse(readRaw());
}

/** One sentence per setting whose value is not valid and so is not used: what it holds, and the value used instead. */
export function settingsProblems(): string[] {
  const raw = readRaw();
  const used = Settings.parse(raw);
  return (Object.keys(KEYS) as (keyof HangarSettings)[])
    .filter((field) => raw[field] !== undefined && !isDeepStrictEqual(raw[field], used[field]))
    .map((field) => `hangar.${KEYS[field]} is ${JSON.stringify(raw[field])}, which is not valid; Hangar uses ${JSON.stringify(used[field])} until it is fixed (see its description in Settings).`);
}

/** `hangar.models` as the user wrote it (validated by the model catalogue when the runtime starts); undefined when unset. */
export function readModelOverrides(): unknown {
  const value = vscode.workspace.getConfiguration('hangar').get<unknown>('models');
  return value === null || (typeof value === 'object' && Object.keys(value).length === 0) ? undefined : value;
}

/** `hangar.modelProviders` as the user wrote it (validated when the runtime starts); undefined when unset or empty. */
export function readModelProviders(): unknown {
  const value = vscode.workspace.getConfiguration('hangar').get<unknown>('modelProviders');
  return value === null || (Array.isArray(value) && value.length === 0) ? undefined : value;
}

/** Settings that need a new Runtime (its provider, limits and model catalogue are fixed at construction), or another one. */
export function needsRestart(e: vscode.ConfigurationChangeEvent): boolean {
  return [...RUNTIME_SETTINGS, 'hangar.sandbox.provider', 'hangar.sandbox.warmPool', 'hangar.sandbox.warmPoolMax', 'hangar.sandbox.dockerHost', 'hangar.model.maxTokens', 'hangar.models', 'hangar.modelProviders', 'hangar.webSearch.url'].some((s) => e.affectsConfiguration(s));
}
