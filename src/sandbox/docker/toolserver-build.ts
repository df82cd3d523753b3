import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { writeFileAtomic } from '../../log/fsutil';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';

// The tool server as one CommonJS file for Node 18 (what Debian's nodejs gives the image), sent to the container over
// the tool server exec's stdin (toolserver-client.ts). A packaged extension ships it prebuilt (pass its path); from a
// source checkout it is bundled on demand with esbuild and cached under the storage dir by the hash of its source
// files, so only an edit to the tools rebuilds it.

export const TOOLSERVER_ENTRY = fileURLToPath(new URL('../toolserver/main.ts', import.meta.url));

const Cache = z.object({ inputs: z.array(z.string()), hash: z.string(), file: z.string() });

export interface BuiltToolServer {
  file: string;
  code: Buffer;
}

async function hashInputs(files: readonly string[]): Promise<string | null> {
  const h = createHash('sha256');
  for (const f of files) {
    try {
      h.update(f).update('\0').update(await fs.readFile(f)).update('\0');
    } catch {
      return null;
    }
  }
  return h.digest('hex').slice(0, 16);
}

export async function buildToolServer(outDir: string, prebuilt?: string): Promise<BuiltToolServer> {
  if (prebuilt) return { file: prebuilt, code: await fs.readFile(prebuilt) };
  const cachePath = path.join(outDir, 'cache.json');
  const cached = Cache.safeParse(await fs.readFile(cachePath, 'utf8').then(JSON.parse, () => null));
  if (cached.success && (await hashInputs(cached.data.inputs)) === cached.data.hash) {
    const code = await fs.readFile(cached.data.file).catch(() => null);
    if (code) return { file: cached.data.file, code };
  }
  // esbuild is a dev dependency: only a source checkout gets here, and a packaged build passes `prebuilt`.
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [TOOLSERVER_ENTRY],
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    write: false,
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
    minify: true,
    // ESM-only dependencies (fdir) call createRequire(import.meta.url), which a CJS bundle must supply.
    define: { 'import.meta.url': '__hangarModuleUrl' },
    banner: { js: 'var __hangarModuleUrl = require("url").pathToFileURL(__filename).href;' },
  });
  const cwd = process.cwd();
  const inputs = Object.keys(result.metafile.inputs)
    .map((p) => path.resolve(cwd, p))
    .sort();
  const hash = await hashInputs(inputs);
  const output = result.outputFiles[0];
  if (!hash || !output) throw new Error('bundling the tool server produced no output');
  const file = path.join(outDir, `toolserver-${hash}.cjs`);
  await fs.mkdir(outDir, { recursive: true });
  await fs.writeFile(file, output.contents);
  await writeFileAtomic(cachePath, JSON.stringify({ inputs, hash, file }));
  return { file, code: Buffer.from(output.contents) };
}
