import { startApiServer } from '../../src/api';
import { Runtime } from '../../src/runtime';
import { LocalSandboxProvider } from '../../src/sandbox/local';
import { MemoryVault } from '../../src/vault/memory';
import { modelClientFor } from './model-apis';

// A second runtime process on a test's storage (another window, another `hangar serve` on the same Hangar home): run
// with `node --import tsx test/support/runtime-process.ts <storage> <model url>`. It prints its API's address and token
// as one JSON line and serves until SIGTERM. Nothing in memory is shared with the test's own runtime.

const [storage, modelUrl] = process.argv.slice(2);
if (!storage || !modelUrl) throw new Error('usage: runtime-process.ts <storage root> <model url>');
const runtime = new Runtime({
  storageRoot: storage,
  vault: new MemoryVault(),
  sandbox: new LocalSandboxProvider({ storageRoot: storage }),
  model: modelClientFor('anthropic', modelUrl),
  owner: 'second-process',
});
const server = await startApiServer({ port: 0, runtime });
process.stdout.write(`${JSON.stringify({ url: server.url, token: server.token, pid: process.pid })}\n`);
process.on('SIGTERM', () => {
  void server.close().then(() => runtime.close()).finally(() => process.exit(0));
});
