import assert from 'node:assert/strict';
import { LiveOutput, tailLines, untilMarker, type Clock } from '../../../src/tools/live-output';
import type { ToolOutputSnapshot } from '../../../src/wire/tool-output';

/** A clock the test moves by hand: timers fire only in advance(). */
class ManualClock implements Clock {
  private t = 1000;
  private timers: { at: number; fn: () => void }[] = [];
  now(): number {
    return this.t;
  }
  setTimer(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + ms, fn };
    this.timers.push(timer);
    return () => (this.timers = this.timers.filter((x) => x !== timer));
  }
  advance(ms: number): void {
    this.t += ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= this.t).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      this.timers = this.timers.filter((x) => x !== due);
      due.fn();
    }
  }
  get pending(): number {
    return this.timers.length;
  }
}

function live(options: { keepBytes?: number } = {}) {
  const clock = new ManualClock();
  const out: ToolOutputSnapshot[] = [];
  const l = new LiveOutput((s) => out.push(s), { clock, intervalMs: 100, ...options });
  return { clock, out, l };
}

describe('tools/live-output', () => {
  describe('LiveOutput (throttle and cap)', () => {
    it('coalesces a burst into one snapshot, then at most one per interval with the newest output', () => {
      const { clock, out, l } = live();
      for (let i = 0; i < 1000; i++) l.push(Buffer.from(`line ${i}\n`));
      assert.equal(out.length, 0, 'nothing leaves synchronously');
      clock.advance(0);
      assert.equal(out.length, 1);
      assert.match(out[0]!.text, /line 999\n$/);
      l.push(Buffer.from('more\n'));
      clock.advance(50);
      assert.equal(out.length, 1, 'the interval has not passed');
      l.push(Buffer.from('and more\n'));
      clock.advance(50);
      assert.equal(out.length, 2);
      assert.match(out[1]!.text, /more\nand more\n$/);
      clock.advance(1000);
      assert.equal(out.length, 2, 'no output, no snapshot');
    });

    it('holds a bounded end of a flood and counts every byte', () => {
      const { clock, out, l } = live({ keepBytes: 1024 });
      const chunk = Buffer.alloc(64 * 1024, 'y\n');
      for (let i = 0; i < 160; i++) l.push(chunk); // 10 MiB
      l.push(Buffer.from('the end\n'));
      clock.advance(0);
      assert.equal(out.length, 1);
      const s = out[0]!;
      assert.equal(s.bytes, 160 * 64 * 1024 + 8);
      assert.equal(s.cut, true);
      assert.ok(s.text.length <= 1024, `held ${s.text.length}`);
      assert.match(s.text, /y\nthe end\n$/);
    });

    it('marks binary output and shows no bytes of it; a partial UTF-8 character at either edge is left out', () => {
      const { clock, out, l } = live({ keepBytes: 8 });
      l.push(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01]));
      clock.advance(0);
      assert.deepEqual(out[0], { text: '', bytes: 6, cut: false, binary: true });
      clock.advance(100);
      // 'é' is two bytes; the window of 8 starts inside the first one, and the last one is not complete yet.
      l.push(Buffer.concat([Buffer.from('ééééé'), Buffer.from('é').subarray(0, 1)]));
      clock.advance(0);
      assert.deepEqual(out[1], { text: 'ééé', bytes: 17, cut: true, binary: false });
    });

    it('strips ANSI codes like the result does', () => {
      const { clock, out, l } = live();
      l.push(Buffer.from('\x1b[32mPASS\x1b[0m test\n'));
      clock.advance(0);
      assert.equal(out[0]!.text, 'PASS test\n');
    });

    it('sends nothing after close, even a snapshot that was due', () => {
      const { clock, out, l } = live();
      l.push(Buffer.from('x'));
      l.close();
      clock.advance(1000);
      assert.equal(out.length, 0);
      assert.equal(clock.pending, 0);
      l.push(Buffer.from('y'));
      assert.equal(clock.pending, 0);
    });
  });

  describe('untilMarker', () => {
    it('forwards output up to the marker, holding back what could be its start, even split across chunks', () => {
      const got: string[] = [];
      const push = untilMarker(Buffer.from('\n__DONE_'), (b) => got.push(b.toString()));
      push(Buffer.from('hello\n__'));
      assert.deepEqual(got, ['hello'], 'a possible marker start waits');
      push(Buffer.from('not it\n'));
      assert.deepEqual(got, ['hello', '\n__not it'], 'released when it was not the marker');
      push(Buffer.from('last\n__DO'));
      push(Buffer.from('NE_0\n'));
      push(Buffer.from('after'));
      assert.equal(got.join(''), 'hello\n__not it\nlast');
    });
  });

  describe('tailLines', () => {
    it('keeps the last lines, drops a line cut by the window, shows what a carriage return leaves, caps long lines', () => {
      assert.equal(tailLines('partial\na\nb\nc\n', true, 2, 50), 'b\nc');
      assert.equal(tailLines('whole\na\n', false, 5, 50), 'whole\na');
      assert.equal(tailLines('progress 10%\rprogress 50%\rprogress 90%\n', false, 5, 50), 'progress 90%');
      assert.equal(tailLines('x'.repeat(100), false, 5, 10), `${'x'.repeat(9)}…`);
      assert.equal(tailLines('one long line without end', true, 5, 50), 'one long line without end', 'a window inside one long line keeps it');
    });
  });
});
