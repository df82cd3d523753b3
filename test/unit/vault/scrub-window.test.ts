import assert from 'node:assert/strict';
import { Scrubber } from '../../../src/vault/scrubber';
import { MemoryVault } from '../../../src/vault/memory';
import { capMiddle } from '../../../src/tools/output';

// Scrubbing a window of a longer output (a running command's live tail): a secret cut by either edge of the window
// must not show in part, and everything else must stay.

const SECRET = 'ghp_CanarySecret0123456789';

async function scrubber(): Promise<Scrubber> {
  const s = new Scrubber(new MemoryVault({ token: SECRET }));
  await s.refresh();
  return s;
}

describe('vault scrubber: windows of a longer text', () => {
  it('replaces whole secrets like text() does', async () => {
    const s = await scrubber();
    assert.equal(s.window(`a ${SECRET} b\n`, false), 'a [REDACTED:token] b\n');
    assert.equal(s.window(`${SECRET}`, true), '[REDACTED:token]', 'a whole secret at the cut edge is replaced, not dropped');
  });

  it('drops the end of a secret cut off by the window start', async () => {
    const s = await scrubber();
    for (let k = 1; k <= SECRET.length - 4; k++) {
      const out = s.window(`${SECRET.slice(k)}\nok`, true);
      assert.equal(out, '\nok', `cut after ${k} characters`);
    }
    assert.equal(s.window(`${SECRET.slice(10)}\nok`, false), `${SECRET.slice(10)}\nok`, 'an uncut window starts where the output starts');
  });

  it('holds back the beginning of a secret still being printed at the window end', async () => {
    const s = await scrubber();
    for (let k = 4; k < SECRET.length; k++) assert.equal(s.window(`key=${SECRET.slice(0, k)}`, false), 'key=', `first ${k} characters`);
    assert.equal(s.window('key=ghp', false), 'key=ghp', 'a piece too short to tell anything stays');
    assert.equal(s.window('key=ghp_x', false), 'key=ghp_x', 'text that stopped matching a secret shows');
  });

  it('catches the encoded forms at the edges too', async () => {
    const s = await scrubber();
    const b64 = Buffer.from(`x${SECRET}`).toString('base64');
    assert.ok(!s.window(`${b64.slice(0, 20)}`, false).includes(b64.slice(4, 20)));
    const url = encodeURIComponent(SECRET);
    assert.equal(s.window(`u=${url}`, false), 'u=[REDACTED:token]');
  });

  it('never splits a whole secret that overlaps a dropped edge', async () => {
    const s = new Scrubber();
    // "abcdef" ends the window-start piece "xxab"'s form; the whole "abcdefgh" must still be replaced whole.
    s.use([
      { label: 'one', value: 'zzzzxxab' },
      { label: 'two', value: 'abcdefgh' },
    ]);
    assert.equal(s.window('abcdefgh tail', true), '[REDACTED:two] tail');
  });

  it('is the identity without secrets', () => {
    const s = new Scrubber();
    assert.equal(s.window('anything at all', true), 'anything at all');
  });
});

describe('vault scrubber: results a tool cut in the middle', () => {
  it('leaves no piece of a secret the cut went through, on either side of the notice', async () => {
    const s = await scrubber();
    for (const half of [20, 23, 27]) {
      // The secret sits where capMiddle cuts: its start ends the kept head, its end starts the kept tail.
      const output = `${'a'.repeat(half - 10)}${SECRET}${'b'.repeat(1000)}${SECRET}${'c'.repeat(half - 6)}`;
      const cut = capMiddle(output, 2 * half);
      assert.match(cut, /\[… \d+ characters cut …\]/);
      const scrubbed = s.text(cut);
      for (let k = 4; k < SECRET.length; k++) {
        assert.ok(!scrubbed.includes(SECRET.slice(0, k)) && !scrubbed.includes(SECRET.slice(SECRET.length - k)), `${half}/${k}: ${scrubbed}`);
      }
      assert.match(scrubbed, /characters cut/, 'the notice stays');
    }
  });

  it('keeps whole secrets and ordinary text around a notice as they are', async () => {
    const s = await scrubber();
    assert.equal(s.text(`x ${SECRET}\n[… 10 characters cut …]\n${SECRET} y`), 'x [REDACTED:token]\n[… 10 characters cut …]\n[REDACTED:token] y');
    assert.equal(s.text('head\n[… output cut …]\ntail'), 'head\n[… output cut …]\ntail');
    assert.equal(s.text(`ends ${SECRET.slice(0, 8)}`), `ends ${SECRET.slice(0, 8)}`, 'an uncut result has no edge to doubt');
  });
});
