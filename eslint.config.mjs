// Layering (shared/DESIGN.md, ARCHITECTURE.md): `extension | api | cli -> runtime -> core -> wire`, written out below
// as one table. Every folder of src/ and webview/ has a row naming the folders it may import; a file in a folder the
// table does not name fails, so a new folder is placed in the layering when it is made, not later by accident.
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

// Each folder and what it may import besides itself. A row covers its folder's subtree except subfolders with rows
// of their own (a file in `src/sandbox/docker` belongs to that row, not to `src/sandbox`); `filesOnly` rows cover
// only the files directly in the folder, so each new sandbox part must get a row. `packages` are the restricted npm
// packages the folder may import: only src/extension talks to VS Code, only src/sandbox/docker to the Docker engine.
// `browser` rows are bundled for the webview too (esbuild, platform browser): they may import no Node built-in.
const CORE_LEAVES = ['src/wire', 'src/log', 'src/model', 'src/tools', 'src/sandbox'];
const CORE = [...CORE_LEAVES, 'src/harness', 'src/sandbox/repo', 'src/sandbox/watch', 'src/sandbox/local', 'src/sandbox/docker', 'src/sandbox/toolserver', 'src/vault', 'src/vault/proxy', 'src/mcp', 'src/web', 'src/review'];
const SURFACE_BASE = [...CORE, 'src/runtime', 'src/format'];
export const LAYERS = {
  'src/wire': { imports: [], browser: true },
  'src/log': ['src/wire'],
  'src/model': ['src/wire'],
  'src/tools': ['src/wire'],
  'src/sandbox': { imports: ['src/wire'], filesOnly: true },
  'src/harness': ['src/wire', 'src/model', 'src/tools', 'src/sandbox'],
  // Repository code every provider shares: listing, host-side git, the diff format.
  'src/sandbox/repo': ['src/wire', 'src/tools', 'src/sandbox'],
  // src/log for its one atomic-write / defensive-read helper of metadata files (fsutil.ts), a leaf over src/wire.
  // The workspace watching behind fast checkpoints, run by local sandboxes' watch worker and by the tool server.
  'src/sandbox/watch': [],
  'src/sandbox/local': ['src/wire', 'src/log', 'src/tools', 'src/sandbox', 'src/sandbox/repo', 'src/sandbox/watch'],
  // src/sandbox/repo for git's ignore rules (repo/gitignore.ts), which copy-mode checkpoints apply in the container.
  'src/sandbox/toolserver': ['src/wire', 'src/tools', 'src/sandbox', 'src/sandbox/repo', 'src/sandbox/watch'],
  'src/sandbox/docker': { imports: ['src/wire', 'src/log', 'src/tools', 'src/sandbox', 'src/sandbox/repo', 'src/sandbox/toolserver'], packages: ['dockerode'] },
  'src/vault': ['src/wire', 'src/log'],
  'src/vault/proxy': ['src/wire', 'src/log', 'src/vault'],
  // MCP implements the harness's `McpTools` seam, so it sits above the harness.
  'src/mcp': ['src/wire', 'src/tools', 'src/harness'],
  'src/web': ['src/wire', 'src/harness', 'src/vault', 'src/vault/proxy'],
  // src/sandbox/repo for host-side git (a branch hand-off commits in a scratch worktree).
  'src/review': ['src/wire', 'src/log', 'src/sandbox', 'src/sandbox/repo'],
  'src/runtime': CORE,
  // Text forms shared by every surface and the webview (cost, tool input summaries); browser-safe.
  'src/format': { imports: ['src/wire'], browser: true },
  // The panel's message protocol, imported by the extension host and the webview; browser-safe.
  'src/protocol': { imports: ['src/wire'], browser: true },
  'src/api': SURFACE_BASE,
  // A client of a runtime elsewhere (the SDK over loopback or TLS, the runtime.json a detached runtime announces).
  'src/remote': ['src/wire', 'src/log'],
  'src/cli': [...SURFACE_BASE, 'src/api', 'src/remote'],
  'src/extension': { imports: [...SURFACE_BASE, 'src/api', 'src/protocol', 'src/remote'], packages: ['vscode'] },
  'webview': { imports: ['src/wire', 'src/format', 'src/protocol'], browser: true },
  // Tests may reach every layer. The extension-host tests run inside VS Code; Docker tests inspect and kill
  // containers behind the provider's back, so they talk to the engine directly.
  'test': ['*'],
  'test/e2e/extension': { imports: ['*'], packages: ['vscode'] },
  'test/integration/docker': { imports: ['*'], packages: ['dockerode'] },
  'test/integration/vault': { imports: ['*'], packages: ['dockerode'] },
  'test/bench': { imports: ['*'], packages: ['dockerode'] },
  // The extension-host bench's side inside VS Code (its --extensionTestsPath entry).
  'test/bench/extension-host': { imports: ['*'], packages: ['vscode'] },
};
const RESTRICTED_PACKAGES = ['vscode', 'dockerode'];
const LAYERED_ROOTS = ['src', 'webview'];

const rows = Object.entries(LAYERS)
  .map(([folder, spec]) => ({ folder, packages: [], filesOnly: false, browser: false, ...(Array.isArray(spec) ? { imports: spec } : spec) }))
  .sort((a, b) => b.folder.length - a.folder.length);

/** The row a repository-relative path (a file, or an import target without extension) belongs to. */
function rowOf(rel) {
  const row = rows.find((r) => rel === r.folder || rel.startsWith(`${r.folder}/`));
  if (row?.filesOnly && rel.slice(row.folder.length + 1).includes('/')) return undefined;
  return row;
}
const repoRelative = (abs) => path.relative(ROOT, abs).split(path.sep).join('/');
const isLayered = (rel) => LAYERED_ROOTS.some((r) => rel === r || rel.startsWith(`${r}/`));
const folderOf = (rel) => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : rel);

const layersRule = {
  meta: { type: 'problem', schema: [], docs: { description: 'imports follow the layer table in eslint.config.mjs' } },
  create(context) {
    const file = repoRelative(context.filename);
    if (file.startsWith('..')) return {};
    const own = rowOf(file);
    const check = (node) => {
      const source = node.source;
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const spec = source.value;
      if (!spec.startsWith('.')) {
        if (own?.browser && (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]))) {
          context.report({ node: source, message: `${own.folder} is bundled for the webview (a browser): it may not import the Node built-in '${spec}'.` });
          return;
        }
        const pkg = spec.split('/')[0];
        if (RESTRICTED_PACKAGES.includes(pkg) && !own?.packages.includes(pkg)) {
          const where = rows.filter((r) => r.packages.includes(pkg)).map((r) => r.folder).join(', ');
          context.report({ node: source, message: `Only ${where} may import '${pkg}' (layer table in eslint.config.mjs).` });
        }
        return;
      }
      if (!own) return;
      const target = repoRelative(path.resolve(path.dirname(context.filename), spec));
      const to = rowOf(target);
      if (to === own || own.imports.includes('*')) return;
      if (!to) {
        if (isLayered(target)) context.report({ node: source, message: `'${spec}' is in ${folderOf(target)}, a folder the layer table in eslint.config.mjs does not name.` });
        else context.report({ node: source, message: `'${spec}' is outside src/ and webview/; ${own.folder} may import only the layers its row names.` });
        return;
      }
      if (!own.imports.includes(to.folder)) {
        context.report({ node: source, message: `${own.folder} may not import ${to.folder} ('${spec}'); it may import: ${own.imports.join(', ') || 'nothing outside itself'} (layer table in eslint.config.mjs).` });
      }
    };
    return {
      Program(node) {
        if (!own && isLayered(file)) context.report({ node, loc: { line: 1, column: 0 }, message: `${folderOf(file)} is in no layer: add a row for it to the layer table in eslint.config.mjs.` });
      },
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
      TSImportType(node) {
        const arg = node.argument?.type === 'TSLiteralType' ? node.argument.literal : node.argument;
        check({ source: arg });
      },
    };
  },
};

// Focused or skipped tests silently shrink the suite.
const TEST_FUNCTIONS = ['describe', 'it', 'context', 'suite', 'test', 'specify'];
const noFocusOrSkip = TEST_FUNCTIONS.flatMap((object) =>
  ['only', 'skip'].map((property) => ({ object, property, message: `${object}.${property} leaves tests out of the run; remove it.` })),
);

// `import { z } from 'zod'` makes the bundler keep zod's namespace object whole (every locale, JSON Schema import, the
// schema compiler: ~600 KB that every CLI command parsed); `import * as z` lets it keep only what is used.
const zodNamespace = {
  selector: "ImportDeclaration[source.value='zod'][importKind!='type'] > :matches(ImportSpecifier[importKind!='type'][imported.name='z'], ImportDefaultSpecifier)",
  message: "Import zod as a namespace: import * as z from 'zod' (keeps the bundles small).",
};

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'out', '.cache', '.vscode-test', 'test-results', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { hangar: { rules: { layers: layersRule } } },
    languageOptions: { globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', fetch: 'readonly', performance: 'readonly', queueMicrotask: 'readonly', structuredClone: 'readonly', setImmediate: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'hangar/layers': 'error',
      'no-restricted-syntax': ['error', zodNamespace],
    },
  },
  {
    files: ['test/**'],
    rules: {
      'no-restricted-properties': ['error', ...noFocusOrSkip],
      'no-restricted-syntax': ['error', zodNamespace, { selector: "CallExpression[callee.type='Identifier'][callee.name=/^(xit|xdescribe|xcontext|fit|fdescribe)$/]", message: 'Focused or excluded tests leave tests out of the run; remove the prefix.' }],
    },
  },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' } }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
