import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

// The repository's own eslint.config.mjs run on small snippets under fake file names: what the layer table and the
// test rules let through and what they refuse.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const eslint = new ESLint({ cwd: root });

/** The messages of the rules under test for `code` as if it were the file `file` (repository-relative). */
async function lint(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  assert.ok(result, 'ESLint returned no result');
  const fatal = result.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], 'the snippet must parse');
  return result.messages.filter((m) => m.ruleId === 'hangar/layers' || m.ruleId?.startsWith('no-restricted')).map((m) => m.message);
}

async function refused(file: string, code: string, pattern: RegExp): Promise<void> {
  const messages = await lint(file, code);
  assert.equal(messages.length, 1, `expected one error for ${file}: ${code}\n${messages.join('\n')}`);
  assert.match(messages[0]!, pattern);
}

async function allowed(file: string, code: string): Promise<void> {
  assert.deepEqual(await lint(file, code), [], `expected no error for ${file}: ${code}`);
}

describe('lint: layer table', function () {
  this.timeout(60_000);

  it('catches a bare folder import of a surface from the core', async () => {
    await refused('src/harness/x.ts', "import { startApi } from '../api';\nexport { startApi };\n", /src\/harness may not import src\/api/);
    await refused('src/harness/x.ts', "import { startApi } from '../api/index';\nexport { startApi };\n", /src\/harness may not import src\/api/);
  });

  it('orders the core: the harness may not import the runtime, the runtime may import the harness', async () => {
    await refused('src/harness/x.ts', "import type { Runtime } from '../runtime';\nexport type R = Runtime;\n", /src\/harness may not import src\/runtime/);
    await allowed('src/runtime/x.ts', "import type { SessionDriver } from '../harness/driver';\nexport type D = SessionDriver;\n");
    await refused('src/wire/x.ts', "import type { SessionLog } from '../log';\nexport type L = SessionLog;\n", /src\/wire may not import src\/log.*nothing outside itself/);
  });

  it('puts runtime, review and the tool server under the table', async () => {
    await refused('src/runtime/x.ts', "export * from '../cli/render';\n", /src\/runtime may not import src\/cli/);
    await refused('src/review/x.ts', "import type { SessionsModel } from '../extension/sessions-model';\nexport type M = SessionsModel;\n", /src\/review may not import src\/extension/);
    await refused('src/sandbox/toolserver/x.ts', "import type { Runtime } from '../../runtime';\nexport type R = Runtime;\n", /src\/sandbox\/toolserver may not import src\/runtime/);
    await allowed('src/sandbox/toolserver/x.ts', "import { createToolHost } from '../../tools/host-impl';\nexport { createToolHost };\n");
  });

  it('sees dynamic imports, re-exports and import types', async () => {
    await refused('src/mcp/x.ts', "export async function f() { return import('../api'); }\n", /src\/mcp may not import src\/api/);
    await refused('src/log/x.ts', "export { startApi } from '../api';\n", /src\/log may not import src\/api/);
    await refused('src/tools/x.ts', "export type R = import('../runtime').Runtime;\n", /src\/tools may not import src\/runtime/);
  });

  it('fails a file in a folder the table does not name', async () => {
    await refused('src/newthing/x.ts', 'export const x = 1;\n', /src\/newthing is in no layer/);
    await refused('src/sandbox/newpart/x.ts', 'export const x = 1;\n', /src\/sandbox\/newpart is in no layer/);
    await refused('src/x.ts', 'export const x = 1;\n', /src is in no layer/);
    await refused('src/runtime/x.ts', "export * from '../sandbox/newpart/y';\n", /src\/sandbox\/newpart, a folder the layer table .* does not name/);
  });

  it('keeps src out of the tests and the rest of the repository', async () => {
    await refused('src/wire/x.ts', "export * from '../../test/support/tmp';\n", /src\/wire may not import test/);
    await refused('src/wire/x.ts', "export * from '../../esbuild.mjs';\n", /outside src\/ and webview\//);
  });

  it('lets the webview import only the wire, the shared formats and the panel protocol', async () => {
    await allowed('webview/x.ts', "import { parseHostMessage } from '../src/protocol/panel';\nimport { formatCost } from '../src/format/cost';\nimport type { SessionEvent } from '../src/wire';\nexport { parseHostMessage, formatCost };\nexport type E = SessionEvent;\n");
    await refused('webview/ui/x.ts', "import { StatusBar } from '../../src/extension/status-bar';\nexport { StatusBar };\n", /webview may not import src\/extension/);
    await refused('webview/x.ts', "import { createRuntime } from '../src/runtime';\nexport { createRuntime };\n", /webview may not import src\/runtime/);
  });

  it('keeps Node built-ins out of what the webview bundles (wire, format, protocol, webview)', async () => {
    await refused('src/wire/x.ts', "import { isDeepStrictEqual } from 'node:util';\nexport { isDeepStrictEqual };\n", /src\/wire is bundled for the webview .* 'node:util'/);
    await refused('src/format/x.ts', "import path from 'path';\nexport const p = path.sep;\n", /src\/format is bundled for the webview .* 'path'/);
    await refused('webview/x.ts', "import { Buffer } from 'node:buffer';\nexport const b = Buffer.alloc(1);\n", /webview is bundled for the webview .* 'node:buffer'/);
    await allowed('src/runtime/x.ts', "import { isDeepStrictEqual } from 'node:util';\nexport { isDeepStrictEqual };\n");
  });

  it('keeps vscode in src/extension and dockerode in src/sandbox/docker', async () => {
    await allowed('src/extension/x.ts', "import * as vscode from 'vscode';\nexport const v = vscode.version;\n");
    await refused('src/runtime/x.ts', "import * as vscode from 'vscode';\nexport const v = vscode.version;\n", /Only .*src\/extension.* may import 'vscode'/);
    await refused('webview/x.ts', "import * as vscode from 'vscode';\nexport const v = vscode.version;\n", /may import 'vscode'/);
    await allowed('src/sandbox/docker/x.ts', "import Docker from 'dockerode';\nexport const d = Docker;\n");
    await refused('src/sandbox/local/x.ts', "import Docker from 'dockerode';\nexport const d = Docker;\n", /may import 'dockerode'/);
    await allowed('test/e2e/extension/x.ts', "import * as vscode from 'vscode';\nexport const v = vscode.version;\n");
    await refused('test/unit/x.ts', "import * as vscode from 'vscode';\nexport const v = vscode.version;\n", /may import 'vscode'/);
  });

  it('lets tests import any layer', async () => {
    await allowed('test/unit/x.ts', "import { startApi } from '../../src/api';\nimport { renderEvent } from '../../src/cli/render';\nexport { startApi, renderEvent };\n");
  });
});

describe('lint: focused and skipped tests', function () {
  this.timeout(60_000);

  for (const call of ['it.only', 'describe.only', 'it.skip', 'describe.skip', 'context.only', 'test.skip']) {
    it(`refuses ${call}`, async () => {
      await refused('test/unit/x.test.ts', `${call}('x', () => {});\n`, /leaves tests out of the run/);
    });
  }

  it('refuses xit and xdescribe', async () => {
    await refused('test/unit/x.test.ts', "xit('x', () => {});\n", /leave tests out of the run/);
    await refused('test/unit/x.test.ts', "xdescribe('x', () => {});\n", /leave tests out of the run/);
  });

  it('lets plain it and describe through', async () => {
    await allowed('test/unit/x.test.ts', "describe('x', () => { it('y', () => {}); });\n");
  });

  it('refuses importing zod by name or default (the bundle would keep all of zod), in sources and tests', async () => {
    for (const file of ['src/wire/x.ts', 'test/unit/x.test.ts']) {
      await refused(file, "import { z } from 'zod';\nexport const S = z.string();\n", /import \* as z from 'zod'/);
      await refused(file, "import zod from 'zod';\nexport const S = zod.string();\n", /import \* as z from 'zod'/);
      await allowed(file, "import * as z from 'zod';\nexport const S = z.string();\n");
      await allowed(file, "import type { z } from 'zod';\nexport type S = z.infer<z.ZodString>;\n");
      await allowed(file, "import { type z } from 'zod';\nexport type S = z.infer<z.ZodString>;\n");
    }
  });
});
