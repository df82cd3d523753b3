import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { createProvider, shippedToolServer } from '../../../src/runtime/providers';

// A packaged extension has no esbuild: its Docker provider must use dist/toolserver.cjs, the file shipped beside the
// bundle. Checked on a real bundle of the module, built the way esbuild.mjs builds dist/extension.cjs.

describe('runtime providers', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'hangar-providers-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function bundle(): Promise<{ shippedToolServer: () => string | undefined }> {
    const outfile = path.join(dir, 'extension.cjs');
    await esbuild.build({
      stdin: { contents: "export { shippedToolServer } from './providers';", resolveDir: path.resolve('src/runtime'), loader: 'ts' },
      outfile,
      bundle: true,
      format: 'cjs',
      platform: 'node',
      external: ['dockerode', 'cpu-features', '*.node'],
      define: { 'import.meta.url': '__hangarModuleUrl' },
      banner: { js: 'var __hangarModuleUrl = require("url").pathToFileURL(__filename).href;' },
      logLevel: 'silent',
    });
    return createRequire(import.meta.url)(outfile) as { shippedToolServer: () => string | undefined };
  }

  it('a bundle finds the tool server shipped beside it, and only while it is there', async () => {
    const bundled = await bundle();
    assert.equal(bundled.shippedToolServer(), undefined);
    const shipped = path.join(dir, 'toolserver.cjs');
    writeFileSync(shipped, '// tool server');
    assert.equal(bundled.shippedToolServer(), shipped);
  });

  it('from sources there is no shipped tool server (the Docker provider bundles its own)', () => {
    assert.equal(shippedToolServer(), undefined);
  });

  it('creates the provider a surface names', async () => {
    const local = await createProvider('local', dir);
    assert.equal(local.kind, 'local');
    await local.close();
    const docker = await createProvider('docker', dir);
    assert.equal(docker.kind, 'docker');
    await docker.close();
  });
});
