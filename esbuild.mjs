// Bundles: the CLI (ESM, Node), the VS Code extension (CJS, Node, `vscode` external), the webview (IIFE, browser)
// and the in-container tool server (CJS, the image's Node 18). `node esbuild.mjs --watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';
import { cjsImportMeta, nativeOptional, nodeAliases, nodeEsmBundle, toolServerBundle } from './bundles.mjs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const targets = [
  nodeEsmBundle('src/cli/index.ts', 'dist/cli.js'),
  {
    entryPoints: ['src/extension/index.ts'],
    outfile: 'dist/extension.cjs',
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['vscode', ...nativeOptional],
    ...nodeAliases,
    ...cjsImportMeta,
  },
  {
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview.js',
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
  },
  toolServerBundle('dist/toolserver.cjs'),
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
