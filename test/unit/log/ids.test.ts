import assert from 'node:assert/strict';
import { newId, nowIso } from '../../../src/wire/ids';

describe('wire ids', () => {
  it('makes <prefix>_011 + 22 base62 characters, all different', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => newId('sevt')));
    assert.equal(ids.size, 2000);
    for (const id of ids) assert.match(id, /^sevt_011[0-9A-Za-z]{22}$/);
    assert.match(newId('sesrsc'), /^sesrsc_011[0-9A-Za-z]{22}$/);
  });

  it('uses the whole base62 alphabet', () => {
    const chars = new Set(Array.from({ length: 500 }, () => newId('x').slice(5)).join(''));
    assert.equal(chars.size, 62);
  });

  it('gives RFC 3339 UTC timestamps with milliseconds', () => {
    const now = nowIso();
    assert.match(now, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.ok(Math.abs(Date.parse(now) - Date.now()) < 60_000);
  });
});
