import assert from 'node:assert/strict';
import { add, multiply, clamp } from './src/math.js';

const cases = [
  ['add(2, 3)', () => add(2, 3), 5],
  ['add(-1, 1)', () => add(-1, 1), 0],
  ['multiply(4, 5)', () => multiply(4, 5), 20],
  ['clamp(15, 0, 10)', () => clamp(15, 0, 10), 10],
  ['clamp(-3, 0, 10)', () => clamp(-3, 0, 10), 0],
];

let failed = 0;
for (const [name, run, expected] of cases) {
  const actual = run();
  try {
    assert.equal(actual, expected);
    console.log(`ok   ${name} === ${expected}`);
  } catch {
    failed += 1;
    console.log(`FAIL ${name}: expected ${expected}, got ${actual}`);
  }
}
console.log(failed === 0 ? 'ok' : `FAIL: ${failed} of ${cases.length} failed`);
process.exit(failed === 0 ? 0 : 1);
