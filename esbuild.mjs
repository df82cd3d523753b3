// Bundles: the CLI (ESM, Node), the VS Code extension (CJS, Node, `vscode` external), the webview (IIFE, browser)
// and the in-container tool server (CJS, the image's Node 18). `node esbuild.mjs --watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

// Optional native add-ons of dockerode's ssh transport; Hangar talks to the local socket only.
const nativeOptional = ['cpu-features', '*.node'];
// ESM-only dependencies (fdir, under tinyglobby) call createRequire(import.meta.url), which a CJS bundle must supply.
const cjsImportMeta = {
  define: { 'import.meta.url': '__hangarModuleUrl' },
  banner: { js: 'var __hangarModuleUrl = require("url").pathToFileURL(__filename).href;' },
};

const targets = [
  {
    entryPoints: ['src/cli/index.ts'],
    outfile: 'dist/cli.js',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: nativeOptional,
    // CommonJS dependencies call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __hangarRequire } from 'node:module'; const require = __hangarRequire(import.meta.url);" },
  },
  {
    entryPoints: ['src/extension/index.ts'],
    outfile: 'dist/extension.cjs',
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['vscode', ...nativeOptional],
    ...cjsImportMeta,
  },
  {
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview.js',
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
  },
  {
    entryPoints: ['src/sandbox/toolserver/main.ts'],
    outfile: 'dist/toolserver.cjs',
    format: 'cjs',
    platform: 'node',
    target: 'node18',
  },
].filter((t) => existsSync(t.entryPoints[0]));

const common = { bundle: true, sourcemap: production ? false : 'linked', minify: production, logLevel: 'warning', legalComments: 'none' };

if (watch) {
  for (const t of targets) await (await esbuild.context({ ...common, ...t })).watch();
  console.log(`watching ${targets.length} bundles`);
} else {
  const started = Date.now();
  await Promise.all(targets.map((t) => esbuild.build({ ...common, ...t })));
  console.log(`built ${targets.map((t) => t.outfile).join(', ')} in ${Date.now() - started} ms`);
}
