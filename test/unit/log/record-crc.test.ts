import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { crc32Range } from '../../../src/log/record-line';

// The log checks each record with crc32Range; it must agree with zlib's CRC-32, which wrote the checksums.
describe('log: CRC-32 of a buffer range', () => {
  it('equals zlib.crc32 of the same bytes for every length and offset around the 8-byte steps', () => {
    const buf = randomBytes(300);
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= buf.length; end += end - start < 40 ? 1 : 37) {
        assert.equal(crc32Range(buf, start, end), crc32(buf.subarray(start, end)), `[${start}, ${end})`);
      }
    }
  });

  it('matches a known value and changes with any flipped bit', () => {
    const text = Buffer.from('{"id":"sevt_1","type":"agent.message","processed_at":null}');
    assert.equal(crc32Range(text, 0, text.length), crc32(text));
    assert.equal(crc32Range(Buffer.from('123456789'), 0, 9), 0xcbf43926);
    const flipped = Buffer.from(text);
    flipped[17]! ^= 0x04;
    assert.notEqual(crc32Range(flipped, 0, flipped.length), crc32(text));
  });
});
