// Layering (shared/DESIGN.md): only src/extension may import 'vscode'; only src/sandbox/docker may import 'dockerode';
// the webview is browser code and imports nothing from the Node core except the wire and its own protocol.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (paths, patterns = []) => ({
  'no-restricted-imports': ['error', { paths, patterns }],
});
const vscodeBan = { name: 'vscode', message: 'Only src/extension may import vscode (layering, see ARCHITECTURE.md).' };
const dockerodeBan = { name: 'dockerode', message: 'Only src/sandbox/docker may import dockerode (layering, see ARCHITECTURE.md).' };

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'out', '.cache', '.vscode-test', 'test-results', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', fetch: 'readonly', performance: 'readonly', queueMicrotask: 'readonly', structuredClone: 'readonly', setImmediate: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      ...restrict([vscodeBan, dockerodeBan]),
    },
  },
  { files: ['src/extension/**', 'test/e2e/extension/**'], rules: restrict([dockerodeBan]) },
  // Docker tests inspect and kill containers behind the provider's back, so they talk to the engine directly.
  { files: ['test/integration/docker/**', 'test/integration/vault/**', 'test/bench/sandbox*'], rules: restrict([vscodeBan]) },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' } }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
  { files: ['src/sandbox/docker/**'], rules: restrict([vscodeBan]) },
  {
    files: ['src/wire/**', 'src/log/**', 'src/model/**', 'src/tools/**', 'src/harness/**', 'src/sandbox/*.ts', 'src/sandbox/local/**', 'src/vault/**', 'src/mcp/**'],
    rules: restrict([vscodeBan, dockerodeBan], [{ group: ['**/extension/**', '**/api/**', '**/cli/**'], message: 'The core must not depend on a surface (extension, api, cli).' }]),
  },
  {
    files: ['webview/**'],
    rules: restrict([vscodeBan, dockerodeBan], [{ regex: '(^|/)src/(?!wire(/|$)|extension/protocol[^/]*$)', message: 'The webview is browser code: only src/wire and the panel protocol may be imported.' }]),
  },
);
