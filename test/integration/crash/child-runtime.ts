import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { nodeEsmBundle, toolServerBundle } from '../../../bundles.mjs';
import { createAnthropicModel } from '../../../src/model/anthropic';
import { Runtime } from '../../../src/runtime';
import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { LocalSandboxProvider } from '../../../src/sandbox/local';
import type { SandboxProvider } from '../../../src/sandbox/types';
import { MemoryVault } from '../../../src/vault/memory';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { requireDocker } from '../docker/helpers';

// What the crash tests that SIGKILL a bundled child runtime share (rewind-crash, fork-crash): the provider of a kind,
// runtimes on the test's storage (the child's and the fresh ones after a kill), and the bundles the child runs from.

export type Kind = 'local' | 'docker';

/** Docker takes the tool server bundle's path: a bundled child cannot build it from source. */
export const providerOf = (kind: Kind, storage: string, toolServerPath: string): SandboxProvider =>
  kind === 'docker' ? new DockerSandboxProvider({ storageRoot: storage, toolServerPath }) : new LocalSandboxProvider({ storageRoot: storage });

/** A fresh runtime on `storage`, as after a kill. */
export function makeRuntime(kind: Kind, storage: string, modelUrl: string, owner: string, toolServerPath: string): Runtime {
  return new Runtime({
    storageRoot: storage,
    vault: new MemoryVault(),
    sandbox: providerOf(kind, storage, toolServerPath),
    model: createAnthropicModel({ apiKey: async () => 'k', baseURL: modelUrl }),
    owner,
  });
}

export interface ChildFixture {
  t: TestRuntime;
  /** The child's bundle (node ESM), built from `fixture`. */
  bundle: string;
  toolServer: string;
}

/** In a describe: builds the child from `fixture` and the tool server before its tests, a test runtime on them; removes all after. */
export function childFixture(kind: Kind, fixture: string): () => ChildFixture {
  let made: ChildFixture | undefined;
  let work: string | undefined;
  before(async () => {
    if (kind === 'docker') await requireDocker();
    work = mkdtempSync(path.join(os.tmpdir(), 'hangar-crash-child-'));
    const bundle = path.join(work, `${path.basename(fixture, '.ts')}.mjs`);
    const toolServer = path.join(work, 'toolserver.cjs');
    await build({ ...nodeEsmBundle(fixture, bundle), logLevel: 'error' });
    await build({ ...toolServerBundle(toolServer), logLevel: 'error' });
    made = { t: await makeTestRuntime({ provider: (storage) => providerOf(kind, storage, toolServer) }), bundle, toolServer };
  });
  after(async () => {
    await made?.t.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });
  return () => {
    if (!made) throw new Error(`the ${kind} crash fixture did not start`);
    return made;
  };
}
