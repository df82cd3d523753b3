import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Runtime } from '../../../src/runtime';
import { BUILTIN_MODELS } from '../../../src/wire';
import { settingsProblems } from '../../../src/extension/config';
import type { Hangar } from '../../../src/extension/hangar';
import type { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { hangar, waitFor } from './support';

const MODEL = 'claude-sonnet-5-5';

/** Changes a `hangar.*` user setting and waits for the runtime the change restarts. */
async function setSetting(h: Hangar, key: string, value: unknown): Promise<Runtime> {
  const next = new Promise<Runtime>((resolve) => {
    const sub = h.host.onDidStart(() => (sub.dispose(), resolve(h.host.runtime)));
  });
  await vscode.workspace.getConfiguration('hangar').update(key, value, vscode.ConfigurationTarget.Global);
  return next;
}

const setModels = (h: Hangar, value: unknown) => setSetting(h, 'models', value);

/** The runtime's warm pool sizing (the extension's bundle has its own copy of the provider class: no instanceof). */
function warmPool(rt: Runtime): { size: number; max: number } {
  assert.equal(rt.options.sandbox.kind, 'docker', 'the test workbench runs sessions in Docker by default');
  return (rt.options.sandbox as DockerSandboxProvider).warmPoolSizing();
}

export function settingsSuite(): void {
  describe('hangar.sandbox.warmPoolMax setting', () => {
    it("grows the window's Docker pool after a burst by default, as `hangar serve` does, and bounds the growth", async () => {
      const h = await hangar();
      assert.deepEqual(warmPool(h.host.runtime), { size: 1, max: 20 });
      try {
        assert.deepEqual(warmPool(await setSetting(h, 'sandbox.warmPoolMax', 3)), { size: 1, max: 3 });
        assert.deepEqual(warmPool(await setSetting(h, 'sandbox.warmPoolMax', 0)), { size: 1, max: 1 }, 'at most the pool size: it never grows');
      } finally {
        await setSetting(h, 'sandbox.warmPoolMax', undefined);
      }
      assert.deepEqual(warmPool(h.host.runtime), { size: 1, max: 20 });
    });

    it('a value out of range is named with the value used instead, not applied in silence', async () => {
      const h = await hangar();
      try {
        assert.deepEqual(warmPool(await setSetting(h, 'sandbox.warmPoolMax', 100)), { size: 1, max: 20 });
        const problems = settingsProblems();
        assert.equal(problems.length, 1, problems.join('\n'));
        assert.match(problems[0] ?? '', /^hangar\.sandbox\.warmPoolMax is 100, which is not valid; Hangar uses 20 until it is fixed/);
      } finally {
        await setSetting(h, 'sandbox.warmPoolMax', undefined);
      }
      assert.deepEqual(settingsProblems(), []);
    });
  });

  describe('hangar.models setting', () => {
    it('applies a valid override, and refuses an invalid one with an error instead of ignoring it', async () => {
      const h = await hangar();
      try {
        const applied = await setModels(h, { [MODEL]: { prices: { input: 7 } } });
        assert.equal(applied.catalog.lookup(MODEL).prices.input, 7, 'a valid override takes effect on change');

        const refusals: string[] = [];
        const sub = h.host.onDidRefuseSetting((m) => refusals.push(m));
        try {
          const refused = await setModels(h, { [MODEL]: { contextWindow: -1 } });
          await waitFor('the refusal', () => refusals.length > 0);
          assert.match(refusals[0]!, /hangar\.models is refused/);
          assert.match(refusals[0]!, /contextWindow/, 'the error names the field at fault');
          assert.equal(refused.catalog.lookup(MODEL).contextWindow, BUILTIN_MODELS[MODEL]!.contextWindow, 'nothing of the refused value applies');
          assert.equal(refused.catalog.lookup(MODEL).prices.input, BUILTIN_MODELS[MODEL]!.prices.input);

          refusals.length = 0;
          await setModels(h, { 'my-proxy-model': { name: 'proxy' } });
          await waitFor('the refusal of an incomplete new model', () => refusals.length > 0);
          assert.match(refusals[0]!, /"my-proxy-model" is incomplete/);
        } finally {
          sub.dispose();
        }
      } finally {
        await setModels(h, undefined);
      }
      assert.equal(h.host.runtime.catalog.lookup(MODEL).prices.input, BUILTIN_MODELS[MODEL]!.prices.input);
    });

    it('refuses to start on a broken <storage>/models.json, names the file, and starts once it is fixed', async () => {
      const h = await hangar();
      const file = path.join(path.dirname(path.dirname(h.host.sessionDir('x'))), 'models.json');
      writeFileSync(file, '{ "claude-sonnet-5-5": ');
      const refusals: string[] = [];
      const sub = h.host.onDidRefuseSetting((m) => refusals.push(m));
      try {
        await assert.rejects(h.host.restart(), (err: Error) => err.message.includes(`${file} is not valid JSON`));
        assert.equal(refusals.length, 1, 'the user is told once');
        assert.ok(refusals[0]!.startsWith(`Hangar cannot start: ${file} is not valid JSON`), refusals[0]);
        assert.match(refusals[0]!, /Fix or delete the file/);
        assert.throws(() => h.host.runtime, /still starting/, 'no runtime runs on a catalogue it could not read');
      } finally {
        sub.dispose();
        rmSync(file, { force: true });
        await h.host.restart();
      }
      assert.equal(h.host.runtime.catalog.lookup(MODEL).prices.input, BUILTIN_MODELS[MODEL]!.prices.input);
    });
  });
}
