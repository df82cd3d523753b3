import path from 'node:path';
import { MODEL_API_KEY } from '../vault/types';
import { BUILTIN_PROVIDER, PROVIDERS_FILE, modelProviderKey } from '../wire/provider-names';
import { withRuntime, type Common } from './context';
import { EXIT } from './exit-codes';
import { cliHint } from './invocation';
import { UsageError } from './session-commands';

// What `hangar set-key` does (main.ts defines it), loaded when it runs.

export async function setKey(c: Common, o: { modelProvider?: string }): Promise<number> {
  const key = (await readStdin()).trim();
  if (!/^[\x21-\x7e]{8,}$/.test(key)) {
    process.stderr.write(`hangar: pipe the key on standard input, e.g. \`${cliHint('set-key')} < key.txt\`, or type it and press Ctrl-D.\n`);
    return EXIT.usage;
  }
  return withRuntime(c, { for: 'none' }, async (rt) => {
    if (o.modelProvider && o.modelProvider !== BUILTIN_PROVIDER) {
      const names = rt.modelProviders.providers().filter((p) => !p.builtin).map((p) => p.name);
      if (!names.includes(o.modelProvider)) throw new UsageError(`no model provider named "${o.modelProvider}" is configured (${names.length ? `configured: ${names.join(', ')}` : 'none are'}); add it to ${path.join(rt.options.storageRoot, PROVIDERS_FILE)} first.`);
      await rt.vault.set(modelProviderKey(o.modelProvider), key);
      process.stdout.write(`Stored the key of model provider "${o.modelProvider}" in your Hangar vault (file mode 0600).\n`);
      return EXIT.ok;
    }
    await rt.vault.set(MODEL_API_KEY, key);
    process.stdout.write('Stored the API key in your Hangar vault (file mode 0600). ANTHROPIC_API_KEY, when set, still wins.\n');
    return EXIT.ok;
  });
}

/** The key from a pipe, or typed at a terminal without echo (raw mode, ends at Enter). */
async function readStdin(): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let data = '';
    for await (const chunk of stdin) data += String(chunk);
    return data;
  }
  process.stderr.write('Anthropic API key (not shown): ');
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve) => {
    let key = '';
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          return resolve(key);
        }
        if (ch === '\u0003') process.exit(EXIT.interrupted);
        key = ch === '\u007f' ? key.slice(0, -1) : key + ch;
      }
    };
    stdin.on('data', onData);
  });
}

