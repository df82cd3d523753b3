import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { follow } from '../../../src/cli/follow';
import { reply } from '../../../src/model/scripted';
import type { ModelClient } from '../../../src/model/types';
import { Runtime } from '../../../src/runtime';
import { LocalSandboxProvider } from '../../../src/sandbox/local';
import { MemoryVault } from '../../../src/vault/memory';
import { DEFAULT_CATALOG, ModelCatalogError, summarize } from '../../../src/wire';
import { makeTestRuntime, idleAfter, type TestRuntime } from '../../support/runtime';

// The runtime option `models` (what VS Code's `hangar.models` setting becomes) is the catalogue every surface uses:
// the fold behind session summaries (sidebar, status bar, API usage), the CLI's follower, and agent validation.

const MODEL = 'claude-sonnet-5-5';

describe('model catalogue overrides reach every cost and check', () => {
  let t: TestRuntime;
  const dirs: string[] = [];
  afterEach(async () => {
    await t?.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('prices the session summary, the API usage and the CLI follower with the overridden prices', async () => {
    t = await makeTestRuntime({ script: [reply.text('done')], runtime: { models: { [MODEL]: { prices: { input: 1_000, output: 1_000, cacheWrite5m: 1_000, cacheRead: 1_000 } } } } });
    const id = await t.start('say done', { model: MODEL });
    const events = await t.waitFor(id, idleAfter(1));
    const overridden = summarize(events, t.runtime.catalog.lookup(MODEL)).costCents;
    assert.ok(overridden > summarize(events, DEFAULT_CATALOG.lookup(MODEL)).costCents * 10, 'the override prices well above the list price');

    assert.equal((await t.runtime.sessions.summary(await t.runtime.sessions.record(id))).costCents, overridden, 'sidebar and status bar');
    assert.equal((await t.runtime.sessions.retrieve(id)).usage.list_cost?.amount, String(Math.round(overridden)), 'API usage');
    const out = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
    out.resume();
    const followed = await follow(t.runtime, id, { fromSeq: 0, json: true, interactive: false, autoApprove: false, out });
    assert.equal(followed.summary.costCents, overridden, 'CLI');
  });

  it('layers the option over <storage>/models.json field by field, and names the file when it is the one at fault', async () => {
    const storage = mkdtempSync(path.join(os.tmpdir(), 'hangar-models-'));
    dirs.push(storage);
    writeFileSync(path.join(storage, 'models.json'), JSON.stringify({ [MODEL]: { contextWindow: 500_000, prices: { input: 9 } } }));
    t = await makeTestRuntime({ storage, runtime: { models: { [MODEL]: { prices: { output: 99 } } } } });
    const spec = t.runtime.catalog.lookup(MODEL);
    assert.deepEqual([spec.contextWindow, spec.prices.input, spec.prices.output], [500_000, 9, 99]);

    const broken = mkdtempSync(path.join(os.tmpdir(), 'hangar-models-'));
    dirs.push(broken);
    writeFileSync(path.join(broken, 'models.json'), JSON.stringify({ [MODEL]: { contextWindow: 'big' } }));
    const model: ModelClient = {
      stream: () => {
        throw new Error('no model in this test');
      },
    };
    assert.throws(
      () => new Runtime({ storageRoot: broken, vault: new MemoryVault(), sandbox: new LocalSandboxProvider({ storageRoot: broken }), model }),
      (err: Error) => err instanceof ModelCatalogError && err.message.includes('models.json') && err.message.includes('contextWindow'),
    );
    // A file that is not JSON at all (models.json or model-providers.json) is named with the parser's reason.
    for (const name of ['models.json', 'model-providers.json']) {
      const torn = mkdtempSync(path.join(os.tmpdir(), 'hangar-models-'));
      dirs.push(torn);
      writeFileSync(path.join(torn, name), '{"');
      assert.throws(
        () => new Runtime({ storageRoot: torn, vault: new MemoryVault(), sandbox: new LocalSandboxProvider({ storageRoot: torn }), model }),
        (err: Error) => err instanceof ModelCatalogError && err.message.startsWith(`${path.join(torn, name)} is not valid JSON: `),
      );
    }
  });

  it('checks agent model settings against the overridden catalogue', async () => {
    t = await makeTestRuntime({ runtime: { models: { [MODEL]: { efforts: ['low'], defaultEffort: 'low' } } } });
    await assert.rejects(t.runtime.agents.create({ name: 'a', model: { id: MODEL, effort: 'high' } }), /does not accept effort "high"; use one of low/);
    const agent = await t.runtime.agents.create({ name: 'b', model: MODEL });
    assert.deepEqual(agent.model.effort, { type: 'low' });
  });
});
