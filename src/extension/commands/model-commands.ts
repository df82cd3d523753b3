import * as vscode from 'vscode';
import { costBasis } from '../../format/cost';
import { formatWindow } from '../../format/model';
import type { ModelCatalog } from '../../wire';
import type { ModelProviderModels } from '../../wire/model-provider-api';
import type { RuntimeClient } from '../connection/runtime-client';
import { unknownProvider } from '../connection/runtime-models';
import type { Hangar } from '../hangar';
import { guarded } from './args';

// The model picker (issue #14): every configured provider's models in one QuickPick, grouped by provider, each with
// a "Test connection" button; the pick becomes hangar.model.id, the model of agents created from VS Code. Providers
// are the runtime's (RuntimeClient.models): in-process the hangar.modelProviders setting, with keys in SecretStorage
// (Hangar: Set Model Provider Key); over a detached runtime that runtime's own, a key set here going into its vault.

const TEST_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('plug'), tooltip: 'Test connection' };
const SETTINGS_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('gear'), tooltip: 'Configure model providers' };

export interface ModelPickItem extends vscode.QuickPickItem {
  /** The model id an agent names (`ollama/qwen3-coder`), or none for a provider's problem line. */
  model?: string;
  provider?: string;
}

/** The picker's items: per provider a separator, then its models, or its problem with the reason. */
export async function modelPickItems(client: RuntimeClient, fresh = false): Promise<ModelPickItem[]> {
  const lists = await Promise.all((await client.models.providers()).map((p) => client.models.models(p.name, fresh)));
  return lists.flatMap((l) => providerItems(client.catalog, l));
}

function providerItems(catalog: ModelCatalog, l: ModelProviderModels): ModelPickItem[] {
  const p = l.provider;
  const items: ModelPickItem[] = [{ label: `${p.name}${p.local ? ' (local)' : ''} · ${p.base_url}`, kind: vscode.QuickPickItemKind.Separator }];
  if (l.problem) {
    items.push({ label: `$(${p.builtin || l.unlisted ? 'info' : 'warning'}) ${p.name}${p.builtin || l.unlisted ? '' : ': unreachable'}`, detail: l.problem, provider: p.name, buttons: [TEST_BUTTON] });
  }
  for (const m of l.models) {
    // What the provider said wins: a detached runtime's discoveries are not in this window's catalogue.
    const spec = catalog.lookup(m.id);
    const window = formatWindow(m.contextWindow ?? spec.contextWindow);
    const prices = m.prices ?? (spec.estimate ? undefined : spec.prices);
    const price = p.local || (prices?.input === 0 && prices.output === 0) ? 'free' : prices ? `$${prices.input}/$${prices.output} per MTok` : costBasis(true);
    const tools = (m.tools ?? spec.tools) === false ? ' · no tools' : '';
    items.push({ label: m.id, description: `${window} window${tools} · ${price}`, model: m.id, provider: p.name, buttons: [TEST_BUTTON] });
  }
  return items;
}

/** Asks a provider for its models now; the answer for a test or a message. */
export async function testConnection(client: RuntimeClient, provider: string): Promise<{ ok: boolean; message: string; models: string[] }> {
  const started = Date.now();
  const l = await client.models.models(provider, true);
  const ms = Date.now() - started;
  if (l.problem && !l.provider.builtin && !l.unlisted) return { ok: false, message: `${provider}: ${l.problem}`, models: [] };
  return { ok: true, message: `${provider} answered in ${ms} ms: ${l.models.length} model${l.models.length === 1 ? '' : 's'}.${l.problem ? ` ${l.problem}` : ''}`, models: l.models.map((m) => m.id) };
}

export function registerModelCommands(h: Hangar): vscode.Disposable[] {
  const reg = (id: string, run: (...args: unknown[]) => Promise<unknown>) => vscode.commands.registerCommand(id, guarded(h, id, run));
  return [
    reg('hangar.selectModel', async (arg) => {
      const given = typeof arg === 'object' && arg !== null && typeof (arg as { model?: unknown }).model === 'string' ? (arg as { model: string }).model : undefined;
      const model = given ?? (await pickModel(h));
      if (!model) return undefined;
      const unknown = await unknownProvider(h.host.client.models, model);
      if (unknown) throw new Error(unknown);
      await vscode.workspace.getConfiguration('hangar').update('model.id', model, vscode.ConfigurationTarget.Global);
      if (!given) void vscode.window.showInformationMessage(`Hangar: new agents use ${model}.`);
      return model;
    }),
    reg('hangar.testModelProvider', async (arg) => {
      const name = typeof arg === 'string' ? arg : await pickProvider(h, 'Which provider should Hangar test?');
      if (!name) return undefined;
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Hangar: testing ${name}` }, () => testConnection(h.host.client, name));
      if (typeof arg !== 'string') showResult(result);
      return result;
    }),
    reg('hangar.setModelProviderKey', async (arg) => {
      const given = typeof arg === 'object' && arg !== null ? (arg as { provider?: unknown; key?: unknown }) : {};
      const name = typeof given.provider === 'string' ? given.provider : await pickProvider(h, 'Whose key is it?', true);
      if (!name) return false;
      const client = h.host.client;
      if (!(await client.models.providers()).some((p) => p.name === name && !p.builtin)) {
        const fix = client.detached ? ` on the runtime at ${client.where}; add it to that runtime's model-providers.json` : '; add it to the hangar.modelProviders setting';
        throw new Error(`no model provider named "${name}" is configured${fix} first.`);
      }
      const heldIn = client.detached ? `the vault of the runtime at ${client.where}` : "VS Code's secret storage";
      const key = typeof given.key === 'string' ? given.key : await vscode.window.showInputBox({ title: `Hangar: API key of ${name}`, prompt: `Kept in ${heldIn}, never in settings or files.`, password: true, ignoreFocusOut: true });
      if (!key?.trim()) return false;
      await client.models.setKey(name, key.trim());
      if (typeof given.key !== 'string') void vscode.window.showInformationMessage(`Hangar: the key of ${name} is saved in ${heldIn}.`);
      return true;
    }),
  ];
}

function showResult(result: { ok: boolean; message: string }): void {
  if (result.ok) void vscode.window.showInformationMessage(`Hangar: ${result.message}`);
  else {
    void vscode.window.showErrorMessage(`Hangar: ${result.message}`, 'Open Settings', 'Set Key').then((choice) => {
      if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'hangar.modelProviders');
      if (choice === 'Set Key') void vscode.commands.executeCommand('hangar.setModelProviderKey');
    });
  }
}

async function pickProvider(h: Hangar, title: string, configuredOnly = false): Promise<string | undefined> {
  const providers = (await h.host.client.models.providers()).filter((p) => !configuredOnly || !p.builtin);
  if (providers.length === 0) {
    void vscode.window.showInformationMessage('Hangar: no model providers are configured. Add one to the hangar.modelProviders setting.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(providers.map((p) => ({ label: p.name, description: `${p.kind} · ${p.base_url}` })), { title });
  return pick?.label;
}

/** The QuickPick: filled as the providers answer (busy meanwhile), never blocking the window. */
function pickModel(h: Hangar): Promise<string | undefined> {
  const qp = vscode.window.createQuickPick<ModelPickItem>();
  qp.title = 'Hangar: Model for New Agents';
  qp.placeholder = `Current: ${String(vscode.workspace.getConfiguration('hangar').get('model.id'))}. Type to filter.`;
  qp.matchOnDescription = true;
  qp.buttons = [SETTINGS_BUTTON];
  qp.busy = true;
  const load = (fresh: boolean) => {
    qp.busy = true;
    void modelPickItems(h.host.client, fresh)
      .then((items) => (qp.items = items))
      .finally(() => (qp.busy = false));
  };
  load(false);
  return new Promise((resolve) => {
    qp.onDidTriggerButton(() => void vscode.commands.executeCommand('workbench.action.openSettings', 'hangar.modelProviders'));
    qp.onDidTriggerItemButton(async (e) => {
      if (!e.item.provider) return;
      const result = await testConnection(h.host.client, e.item.provider);
      showResult(result);
      load(true);
    });
    qp.onDidAccept(() => {
      const model = qp.selectedItems[0]?.model;
      if (!model) return;
      resolve(model);
      qp.hide();
    });
    qp.onDidHide(() => {
      resolve(undefined);
      qp.dispose();
    });
    qp.show();
  });
}
