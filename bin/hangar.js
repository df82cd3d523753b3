#!/usr/bin/env node
// Runs the bundled CLI (built by `npm run build` into dist/cli.mjs).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli.mjs', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write('hangar: dist/cli.mjs is missing; run `npm run build` in the Hangar folder first.\n');
  process.exit(1);
}
await import(cli);
