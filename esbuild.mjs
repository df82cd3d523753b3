// Bundles: the CLI (ESM, Node), the VS Code extension (CJS, Node, `vscode` external), the webview (IIFE, browser)
// the codicon stylesheet and font, and the in-container tool server (CJS, the image's Node 18). `node esbuild.mjs --watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { cjsImportMeta, cliBundle, nativeOptional, nodeAliases, toolServerBundle, watchWorkerSource } from './bundles.mjs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const targets = [
  cliBundle('dist'),
  {
    entryPoints: ['src/extension/index.ts'],
    outfile: 'dist/extension.cjs',
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['vscode', ...nativeOptional],
    ...nodeAliases,
    ...cjsImportMeta,
    plugins: [watchWorkerSource],
  },
  {
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview.js',
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
  },
  // The compare view's page (best-of-N), a bundle of its own: it shares only the protocol and the DOM helpers.
  {
    entryPoints: ['webview/compare/main.ts'],
    outfile: 'dist/compare.js',
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
  },
  toolServerBundle('dist/toolserver.cjs'),
  // The panel's icon font: VS Code's codicons, bundled next to webview.js (the webview may load only from dist/ and
  // media/, and the .vsix carries no node_modules). The font keeps its name, so the stylesheet's url() finds it.
  {
    entryPoints: ['node_modules/@vscode/codicons/dist/codicon.css'],
    outfile: 'dist/codicon.css',
    loader: { '.ttf': 'file' },
    assetNames: '[name]',
  },
].filter((t) => existsSync(t.entryPoints[0]));

const common = { bundle: true, sourcemap: production ? false : 'linked', minify: production, logLevel: 'warning', legalComments: 'none' };

if (watch) {
  for (const t of targets) await (await esbuild.context({ ...common, ...t })).watch();
  console.log(`watching ${targets.length} bundles`);
} else {
  const started = Date.now();
  // Chunk names carry a content hash: drop the previous build's, which nothing loads any more (and cli.js, the entry's
  // name before it was cli.mjs).
  for (const f of existsSync('dist') ? readdirSync('dist') : []) if (f.startsWith('cli-') || f.startsWith('cli.js')) rmSync(`dist/${f}`);
  await Promise.all(targets.map((t) => esbuild.build({ ...common, ...t })));
  console.log(`built ${targets.map((t) => t.outfile ?? `${t.outdir}/${t.entryNames}${t.outExtension?.['.js'] ?? '.js'}`).join(', ')} in ${Date.now() - started} ms`);
}
