import type { Command } from 'commander';
import type { ProviderModels } from '../model/registry';
import type { ProviderModelInfo } from '../wire';
import type { Runtime } from '../runtime';
import { withRuntime, type Common } from './context';
import { EXIT } from './exit-codes';
import { paint } from './render';
import { formatWindow } from '../format/model';

// `hangar models`: every model provider (the built-in one and <storage>/model-providers.json's) with the models it
// offers, asked of each provider's models endpoint at once; a provider that cannot be reached is listed with the
// reason, and the exit code says so (1), so a script can check its setup.

export function addModelsCommand(program: Command, common: () => Common, finish: (code: number) => void): void {
  program
    .command('models')
    .description('list the model providers (built-in and <storage>/model-providers.json) and their models; unreachable ones with the reason (exit 1)')
    .action(async () =>
      finish(
        await withRuntime(common(), { for: 'none' }, async (rt) => {
          const lists = await Promise.all(rt.modelProviders.providers().map((p) => rt.modelProviders.models(p.name, true)));
          const json = common().json === true;
          for (const list of lists) process.stdout.write(json ? `${JSON.stringify(jsonLine(rt, list))}\n` : providerText(rt, list, paint(process.stdout.isTTY === true)));
          return lists.some((l) => l.problem && !l.builtin && !l.unlisted) ? EXIT.error : EXIT.ok;
        }),
      ),
    );
}

function jsonLine(rt: Runtime, l: ProviderModels) {
  const { models, ...provider } = l;
  return { type: 'hangar.model_provider', ...provider, models: models.map((m) => ({ ...m, ...modelFacts(rt, m.id) })) };
}

function modelFacts(rt: Runtime, id: string) {
  const spec = rt.catalog.lookup(id);
  return { contextWindow: spec.contextWindow, tools: spec.tools ?? null, prices: { input: spec.prices.input, output: spec.prices.output }, estimate: spec.estimate };
}

function providerText(rt: Runtime, l: ProviderModels, p: ReturnType<typeof paint>): string {
  const kind = l.builtin ? 'built-in, Messages API' : l.kind === 'anthropic' ? 'Messages API' : 'OpenAI-compatible';
  const lines = [`${p('bold', l.name)}  ${p('dim', `${kind}${l.local ? ', local' : ''} · ${l.baseUrl}`)}`];
  if (l.problem) lines.push(`  ${p(l.builtin || l.unlisted ? 'yellow' : 'red', `${l.builtin || l.unlisted ? '' : 'unreachable: '}${l.problem}`)}`);
  const width = Math.max(0, ...l.models.map((m) => m.id.length));
  for (const m of l.models) lines.push(`  ${m.id.padEnd(width)}  ${p('dim', describe(rt, m))}`);
  if (!l.problem && l.models.length === 0) lines.push(`  ${p('dim', 'no models')}`);
  return `${lines.join('\n')}\n`;
}

function describe(rt: Runtime, m: ProviderModelInfo): string {
  const f = modelFacts(rt, m.id);
  const window = formatWindow(f.contextWindow);
  const tools = f.tools === false ? 'no tools' : f.tools === true ? 'tools' : null;
  const free = f.prices.input === 0 && f.prices.output === 0;
  const price = f.estimate ? 'no list price (costs shown as estimates)' : free ? 'free' : `$${f.prices.input}/$${f.prices.output} per MTok`;
  return [`${window} window`, tools, m.thinking ? 'thinking' : null, m.vision ? 'vision' : null, price].filter(Boolean).join(' · ');
}
