import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EFFORTS, ModelCatalogOverrides, ModelPrices, ModelSpec, ThinkingSupport } from '../../../src/wire';

// The `hangar.models` setting's JSON schema (package.json, what the Settings editor checks as the user types) must
// describe the same shape the runtime's zod schema accepts, or the editor would offer fields the catalogue refuses.

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  pattern?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
}

const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, JsonSchema & { default?: unknown }> } } };
const setting = pkg.contributes.configuration.properties['hangar.models']!;
const entry = setting.additionalProperties as JsonSchema;

describe('the hangar.models setting schema', () => {
  it('names every field of a model spec and of its prices, and no other', () => {
    assert.equal(setting.type, 'object');
    assert.deepEqual(setting.default, {});
    assert.equal(entry.additionalProperties, false);
    assert.deepEqual(Object.keys(entry.properties!).sort(), Object.keys(ModelSpec.shape).sort());
    const prices = entry.properties!.prices!;
    assert.equal(prices.additionalProperties, false);
    assert.deepEqual(Object.keys(prices.properties!).sort(), Object.keys(ModelPrices.shape).sort());
    assert.deepEqual(Object.keys(entry.properties!.longPrompt!.properties!.prices!.properties!).sort(), Object.keys(ModelPrices.shape).sort());
  });

  it('offers the thinking modes and effort values the catalogue accepts', () => {
    assert.deepEqual(entry.properties!.thinking!.enum, ThinkingSupport.options);
    assert.deepEqual(entry.properties!.efforts!.items!.enum, [...EFFORTS]);
    assert.deepEqual(entry.properties!.defaultEffort!.enum, [...EFFORTS, null]);
  });

  it('accepts the same model ids as the catalogue', () => {
    const pattern = new RegExp(setting.propertyNames!.pattern!);
    for (const id of ['claude-sonnet-5-5', 'my.proxy-model2', 'Claude-Sonnet', 'my_model', '-x', '']) {
      assert.equal(pattern.test(id), ModelCatalogOverrides.safeParse({ [id]: {} }).success, id);
    }
  });
});
