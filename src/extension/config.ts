import * as vscode from 'vscode';
import { z } from 'zod';
import { DEFAULT_MODEL } from '../model/types';

// The contributed settings (package.json contributes.configuration), read and validated in one place. A value a
// user mistyped in settings.json falls back to its default with a warning instead of breaking activation.

const Settings = z.object({
  modelId: z.string().min(1).catch(DEFAULT_MODEL),
  baseUrl: z.union([z.url({ protocol: /^https?$/ }), z.literal('')]).catch(''),
  maxTokens: z.number().int().min(1).max(1_000_000).catch(16_000),
  provider: z.enum(['auto', 'local', 'docker']).catch('auto'),
  memoryMb: z.number().int().min(64).max(1_048_576).catch(2048),
  cpus: z.number().min(0.1).max(256).catch(2),
  pids: z.number().int().min(16).max(1_000_000).catch(512),
  defaultAgent: z.string().catch(''),
  apiPort: z.number().int().min(0).max(65_535).catch(0),
});
export type HangarSettings = z.infer<typeof Settings>;

export function readSettings(): HangarSettings {
  const c = vscode.workspace.getConfiguration('hangar');
  return Settings.parse({
    modelId: c.get('model.id'),
    baseUrl: c.get('model.baseUrl'),
    maxTokens: c.get('model.maxTokens'),
    provider: c.get('sandbox.provider'),
    memoryMb: c.get('sandbox.memoryMb'),
    cpus: c.get('sandbox.cpus'),
    pids: c.get('sandbox.pids'),
    defaultAgent: c.get('defaultAgent'),
    apiPort: c.get('api.port'),
  });
}

/** Settings that need a new Runtime (its provider and limits are fixed at construction). */
export function needsRestart(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration('hangar.sandbox.provider') || e.affectsConfiguration('hangar.model.maxTokens');
}
