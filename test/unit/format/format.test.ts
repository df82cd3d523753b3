import assert from 'node:assert/strict';
import { formatCost } from '../../../src/format/cost';
import { summarizeToolInput } from '../../../src/format/tool-input';

describe('format: one text form per fact', () => {
  it('formats list-price cents the same way everywhere', () => {
    const cases: [number, string][] = [
      [0, '$0.00'],
      [-5, '$0.00'],
      [Number.NaN, '$0.00'],
      [0.05, '<$0.001'],
      [0.3, '$0.003'],
      [4, '$0.040'],
      [9.99, '$0.100'],
      [10, '$0.10'],
      [123.4, '$1.23'],
    ];
    assert.deepEqual(cases.map(([c]) => formatCost(c)), cases.map(([, s]) => s));
  });

  it('summarizes tool inputs: command, file, pattern, or short JSON', () => {
    assert.deepEqual(summarizeToolInput('bash', { command: 'npm test\nnpm run lint' }), { glyph: '$', text: 'npm test\nnpm run lint', path: null });
    assert.deepEqual(summarizeToolInput('edit', { file_path: 'src/a.ts', old_string: 'a', new_string: 'b' }), { glyph: '✎', text: 'src/a.ts', path: 'src/a.ts' });
    assert.equal(summarizeToolInput('grep', { pattern: 'TODO', path: 'src' }).text, 'TODO  in src');
    assert.equal(summarizeToolInput('lookup', {}).text, '');
    assert.equal(summarizeToolInput('lookup', { q: 'x'.repeat(300) }).text.length, 161);
  });
});
