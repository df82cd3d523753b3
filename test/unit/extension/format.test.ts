import assert from 'node:assert/strict';
import { formatDuration, titleFrom } from '../../../src/extension/format';

describe('extension/format', () => {
  it('formats durations', () => {
    assert.deepEqual([0, 5.9, 65, 3599, 3600, 7322, -3].map(formatDuration), ['0s', '5s', '1m 05s', '59m 59s', '1h 00m', '2h 02m', '0s']);
  });

  it('makes a one-line title from a task', () => {
    assert.equal(titleFrom('  Fix the bug\nin detail'), 'Fix the bug');
    assert.equal(titleFrom('   '), 'Untitled task');
    assert.equal(titleFrom('x'.repeat(100)).length, 80);
  });
});
