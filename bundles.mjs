// The bundle definitions, shared by esbuild.mjs (npm run build) and the tests that bundle an entry of their own
// (the CLI and crash tests), so every bundle of Node code gets the same shims.

import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

// Optional native add-ons of dockerode's ssh transport (Hangar talks to the local socket only), and esbuild, which
// the Docker provider loads only when it must bundle the tool server from sources (packages ship dist/toolserver.cjs).
export const nativeOptional = ['cpu-features', '*.node', 'esbuild'];

// jsonc-parser's main entry is a UMD build whose lazy require('./impl/…') calls a bundler cannot follow.
export const nodeAliases = { alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' } };

// CommonJS dependencies call require() and read __dirname/__filename; an ESM bundle must supply them. Each declaration
// is keyed by the binding it makes, each import by the name the declarations use it by (see shimsOnUse).
const shimImports = {
  __hangarRequire: "import { createRequire as __hangarRequire } from 'node:module';",
  __hangarPath: "import { fileURLToPath as __hangarPath } from 'node:url';",
};
const shimDeclarations = {
  require: 'const require = __hangarRequire(import.meta.url);',
  __filename: 'const __filename = __hangarPath(import.meta.url);',
  __dirname: "const __dirname = __hangarPath(new URL('.', import.meta.url));",
};
export const esmNodeShims = { banner: { js: [...Object.values(shimImports), ...Object.values(shimDeclarations)].join(' ') } };

// ESM-only dependencies (fdir, under tinyglobby) call createRequire(import.meta.url), which a CJS bundle must supply.
export const cjsImportMeta = {
  define: { 'import.meta.url': '__hangarModuleUrl' },
  banner: { js: 'var __hangarModuleUrl = require("url").pathToFileURL(__filename).href;' },
};

/**
 * The local sandboxes' watch worker runs in a worker thread from a string (src/sandbox/local/watch-worker-source.ts):
 * in a bundle that string is built in, watch-worker.ts bundled as CommonJS, so the bundle needs no file beside it and
 * no esbuild at run time. Every Node bundle that may hold the local sandbox gets this plugin.
 */
export const watchWorkerSource = {
  name: 'watch-worker-source',
  setup(build) {
    build.onLoad({ filter: /[\\/]sandbox[\\/]local[\\/]watch-worker-source\.ts$/ }, async (args) => {
      const result = await build.esbuild.build({
        entryPoints: [path.join(path.dirname(args.path), 'watch-worker.ts')],
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        write: false,
        metafile: true,
        minify: build.initialOptions.minify,
        legalComments: 'none',
        logLevel: 'silent',
      });
      const text = result.outputFiles[0].text;
      return {
        contents: `export function watchWorkerSource() { return ${JSON.stringify(text)}; }`,
        loader: 'js',
        watchFiles: Object.keys(result.metafile.inputs).map((p) => path.resolve(p)),
      };
    });
  },
};

/** An ESM Node bundle of one entry point (the CLI, test children). */
export function nodeEsmBundle(entry, outfile) {
  return { entryPoints: [entry], outfile, bundle: true, format: 'esm', platform: 'node', target: 'node20', external: nativeOptional, ...nodeAliases, ...esmNodeShims, plugins: [watchWorkerSource] };
}

/**
 * commander requires node:child_process when it loads, for executable subcommands, which Hangar has none of: that
 * module (with net and stream under it) is ~5 ms of every CLI start. In the CLI bundle it is required on first use.
 * Should commander's line change, the bundle keeps it as it is and the build says so.
 */
const commanderChildProcessOnUse = {
  name: 'commander-child-process-on-use',
  setup(build) {
    build.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      if (!source.includes(eager)) return { contents: source, loader: 'js', warnings: [{ text: `commander no longer has "${eager}": it loads child_process at start again` }] };
      return { contents: source.replace(eager, "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };"), loader: 'js' };
    });
  },
};

/**
 * esmNodeShims' banner opens every chunk of the split CLI, but few chunks use it: a createRequire and two fileURLToPath
 * calls per chunk were ~4 ms of `--version` and ~10 ms of `hangar sessions` (27 chunks, issue #17). After the build,
 * each chunk keeps the shims its code names (a mention in a comment or string keeps one too: never one too few); the
 * banner's line stays, emptied, so the source maps still hold.
 */
const shimsOnUse = {
  name: 'shims-on-use',
  setup(build) {
    build.initialOptions.metafile = true;
    const banner = esmNodeShims.banner.js;
    build.onEnd(async (result) => {
      const root = build.initialOptions.absWorkingDir ?? process.cwd();
      for (const out of Object.keys(result.metafile?.outputs ?? {}).filter((f) => f.endsWith('.mjs'))) {
        const file = path.resolve(root, out);
        const text = await readFile(file, 'utf8');
        if (!text.startsWith(banner)) throw new Error(`${out} does not start with the shims' banner`);
        const body = text.slice(banner.length);
        const used = Object.entries(shimDeclarations).filter(([name]) => new RegExp(`\\b${name}\\b`).test(body)).map(([, d]) => d);
        const imports = Object.entries(shimImports).filter(([name]) => used.some((d) => d.includes(name))).map(([, i]) => i);
        await writeFile(file, [...imports, ...used].join(' ') + body);
      }
    });
  },
};

/**
 * The CLI: split into chunks loaded on demand (esbuild code splitting of the ESM bundle), so `--version` parses a few
 * hundred bytes instead of the whole runtime. Node spends most of a command's start compiling and linking the modules
 * it loads. The chunks sit beside cli.mjs (named cli-*), so code that finds files next to its own module (the tool
 * server bundle) finds them from any chunk. `.mjs`: Node knows each one is ESM without looking up package.json's
 * "type" from its folder, a lookup per module otherwise.
 */
export function cliBundle(outdir) {
  const { outfile: _single, ...rest } = nodeEsmBundle('src/cli/index.ts', undefined);
  return { ...rest, outdir, splitting: true, entryNames: 'cli', chunkNames: 'cli-[name]-[hash]', outExtension: { '.js': '.mjs' }, plugins: [...rest.plugins, commanderChildProcessOnUse, shimsOnUse] };
}

/** The in-container tool server: CJS for the image's Node 18; the runtime looks for it next to its own bundle. */
export function toolServerBundle(outfile) {
  return { entryPoints: ['src/sandbox/toolserver/main.ts'], outfile, bundle: true, format: 'cjs', platform: 'node', target: 'node18', ...cjsImportMeta };
}
