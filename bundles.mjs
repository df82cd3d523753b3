// The bundle definitions, shared by esbuild.mjs (npm run build) and the tests that bundle an entry of their own
// (the CLI and crash tests), so every bundle of Node code gets the same shims.

// Optional native add-ons of dockerode's ssh transport (Hangar talks to the local socket only), and esbuild, which
// the Docker provider loads only when it must bundle the tool server from sources (packages ship dist/toolserver.cjs).
export const nativeOptional = ['cpu-features', '*.node', 'esbuild'];

// jsonc-parser's main entry is a UMD build whose lazy require('./impl/…') calls a bundler cannot follow.
export const nodeAliases = { alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' } };

// CommonJS dependencies call require() and read __dirname/__filename; an ESM bundle must supply them.
export const esmNodeShims = {
  banner: {
    js: [
      "import { createRequire as __hangarRequire } from 'node:module';",
      "import { fileURLToPath as __hangarPath } from 'node:url';",
      'const require = __hangarRequire(import.meta.url);',
      'const __filename = __hangarPath(import.meta.url);',
      "const __dirname = __hangarPath(new URL('.', import.meta.url));",
    ].join(' '),
  },
};

// ESM-only dependencies (fdir, under tinyglobby) call createRequire(import.meta.url), which a CJS bundle must supply.
export const cjsImportMeta = {
  define: { 'import.meta.url': '__hangarModuleUrl' },
  banner: { js: 'var __hangarModuleUrl = require("url").pathToFileURL(__filename).href;' },
};

/** An ESM Node bundle of one entry point (the CLI, test children). */
export function nodeEsmBundle(entry, outfile) {
  return { entryPoints: [entry], outfile, bundle: true, format: 'esm', platform: 'node', target: 'node20', external: nativeOptional, ...nodeAliases, ...esmNodeShims };
}

/**
 * The CLI: split into chunks loaded on demand (esbuild code splitting of the ESM bundle), so `--version` parses a few
 * hundred bytes instead of the whole runtime. Node spends most of a command's start compiling the bundle it loads.
 * The chunks sit beside cli.js (named cli-*), so code that finds files next to its own module (the tool server
 * bundle) finds them from any chunk.
 */
export function cliBundle(outdir) {
  const { outfile: _single, ...rest } = nodeEsmBundle('src/cli/index.ts', undefined);
  return { ...rest, outdir, splitting: true, entryNames: 'cli', chunkNames: 'cli-[name]-[hash]' };
}

/** The in-container tool server: CJS for the image's Node 18; the runtime looks for it next to its own bundle. */
export function toolServerBundle(outfile) {
  return { entryPoints: ['src/sandbox/toolserver/main.ts'], outfile, bundle: true, format: 'cjs', platform: 'node', target: 'node18', ...cjsImportMeta };
}
