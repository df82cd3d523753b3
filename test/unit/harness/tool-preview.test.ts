import assert from 'node:assert/strict';
import { toolPreviewer } from '../../../src/harness/tool-preview';
import type { StreamPreview } from '../../../src/wire';
import type { ToolOutputSnapshot } from '../../../src/wire/tool-output';

const snap = (text: string, bytes = text.length, extra: Partial<ToolOutputSnapshot> = {}): ToolOutputSnapshot => ({ text, bytes, cut: false, binary: false, ...extra });

/** A scrubber the test releases by hand, to order its answers against new snapshots and the call's end. */
function manualScrub() {
  const waiting: { text: string; release: (v: string | Error) => void }[] = [];
  const scrub = (text: string) =>
    new Promise<string>((resolve, reject) => waiting.push({ text, release: (v) => (v instanceof Error ? reject(v) : resolve(v)) }));
  return { scrub, waiting };
}
const settle = () => new Promise((r) => setImmediate(r));

describe('harness/tool-preview', () => {
  it('emits scrubbed previews in order, collapsing snapshots that arrive while one is scrubbed into the newest', async () => {
    const { scrub, waiting } = manualScrub();
    const out: StreamPreview[] = [];
    const p = toolPreviewer('toolu_1', scrub, (x) => out.push(x));
    p.push(snap('a\n'));
    p.push(snap('a\nb\n'));
    p.push(snap('a\nb\nc\n'));
    assert.equal(waiting.length, 1);
    waiting.shift()!.release('A\n');
    await settle();
    assert.deepEqual(out, [{ type: 'tool_output', tool_use_id: 'toolu_1', tail: 'A', bytes: 2, binary: false }]);
    assert.equal(waiting.length, 1);
    assert.equal(waiting[0]!.text, 'a\nb\nc\n', 'the middle snapshot was skipped');
    waiting.shift()!.release('a\nb\nC\n');
    await settle();
    assert.equal(out.length, 2);
    assert.ok(out[1]!.type === 'tool_output' && out[1]!.tail === 'a\nb\nC');
  });

  it('shows nothing after end(), not even a snapshot whose scrub finishes later', async () => {
    const { scrub, waiting } = manualScrub();
    const out: StreamPreview[] = [];
    const p = toolPreviewer('toolu_1', scrub, (x) => out.push(x));
    p.push(snap('secret-ish'));
    p.end();
    waiting.shift()!.release('scrubbed');
    await settle();
    p.push(snap('more'));
    await settle();
    assert.deepEqual(out, []);
    assert.equal(waiting.length, 0);
  });

  it('shows nothing for a snapshot whose scrub failed, and goes on with the next', async () => {
    const { scrub, waiting } = manualScrub();
    const out: StreamPreview[] = [];
    const p = toolPreviewer('toolu_1', scrub, (x) => out.push(x));
    p.push(snap('raw secret'));
    waiting.shift()!.release(new Error('vault unreadable'));
    await settle();
    assert.deepEqual(out, []);
    p.push(snap('next'));
    waiting.shift()!.release('next');
    await settle();
    assert.equal(out.length, 1);
  });

  it('passes binary output on as such, with no text', async () => {
    const out: StreamPreview[] = [];
    const p = toolPreviewer('toolu_1', async () => assert.fail('binary output is not scrubbed: it is not shown'), (x) => out.push(x));
    p.push(snap('', 4096, { binary: true }));
    await settle();
    assert.deepEqual(out, [{ type: 'tool_output', tool_use_id: 'toolu_1', tail: '', bytes: 4096, binary: true }]);
  });
});
