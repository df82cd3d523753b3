import assert from 'node:assert/strict';
import { SortedCatalogue } from '../../../src/runtime/session-catalogue';
import type { ListLine } from '../../../src/runtime/session-list-file';
import { byCreation } from '../../../src/runtime/session-paging';

// The catalogue a listing pages through is updated line by line after a change instead of sorted again: whatever the
// changes, it must be exactly what sorting every line gives, and an array handed to a listing must never change under it.

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1) + minute * 60_000).toISOString();
const session = (id: string, minute: number, archived = false): ListLine => ({ kind: 'session', id, created_at: at(minute), agent_id: 'agent_1', agent_version: 1, archived, record_key: null, summary_key: null });
const damaged = (id: string): ListLine => ({ kind: 'damaged', id, problem: `${id} is damaged`, fix: 'delete it' });

/** What a catalogue built from scratch holds. */
function expected(lines: ReadonlyMap<string, ListLine>) {
  const sorted = [...lines.values()].flatMap((l) => (l.kind === 'session' ? [l] : [])).sort(byCreation);
  return {
    ids: sorted.map((l) => l.id),
    archived: sorted.filter((l) => l.archived).map((l) => l.id),
    damaged: [...lines.values()].filter((l) => l.kind === 'damaged').map((l) => l.id).sort(),
  };
}

/** A deterministic stream of numbers in [0, 1). */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

describe('SortedCatalogue: the listing order kept up to date by changed lines', () => {
  it('after any mix of added, moved, archived, damaged and removed sessions, it is what sorting every line gives', () => {
    const next = random(17);
    const lines = new Map<string, ListLine>();
    // Many sessions created in the same minute: ties are ordered by id.
    for (let i = 0; i < 500; i++) lines.set(`sesn_${i}`, session(`sesn_${i}`, Math.floor(next() * 200)));
    const catalogue = new SortedCatalogue();
    assert.equal(catalogue.update(lines, { reset: true, ids: new Set(lines.keys()) }), false, 'a first read adds nothing it can tell of');
    assert.deepEqual(catalogue.entries.map((e) => e.id), expected(lines).ids);
    for (let round = 0; round < 200; round++) {
      const before = catalogue.entries;
      const frozen = [...before];
      const had = new Set(lines.keys());
      const changed = new Set<string>();
      // Sometimes more lines than are worth inserting one by one (another process's burst): the same result.
      for (let k = next() < 0.1 ? 100 : 1 + Math.floor(next() * 5); k > 0; k--) {
        const id = `sesn_${Math.floor(next() * 600)}`;
        const roll = next();
        if (roll < 0.3) lines.delete(id);
        else if (roll < 0.4) lines.set(id, damaged(id));
        else lines.set(id, session(id, Math.floor(next() * 200), roll < 0.5));
        changed.add(id);
      }
      const moved = [...changed].some((id) => had.has(id) !== lines.has(id));
      assert.equal(catalogue.update(lines, { reset: false, ids: changed }), moved, `round ${round}: whether a session was added or removed`);
      assert.deepEqual(catalogue.entries.map((e) => e.id), expected(lines).ids, `round ${round}`);
      assert.deepEqual(catalogue.damaged().map((d) => d.id), expected(lines).damaged, `round ${round}`);
      assert.deepEqual(before, frozen, `round ${round}: the array a listing holds did not change`);
    }
    assert.deepEqual(catalogue.entries.filter((e) => e.archived).map((e) => e.id), expected(lines).archived);
  });

  it('reports a session added or removed, and not a line rewritten for one it holds', () => {
    const lines = new Map<string, ListLine>([['sesn_a', session('sesn_a', 1)]]);
    const catalogue = new SortedCatalogue();
    catalogue.update(lines, { reset: true, ids: new Set() });
    lines.set('sesn_a', session('sesn_a', 1, true));
    assert.equal(catalogue.update(lines, { reset: false, ids: new Set(['sesn_a']) }), false, 'an archive');
    lines.set('sesn_b', session('sesn_b', 0));
    assert.equal(catalogue.update(lines, { reset: false, ids: new Set(['sesn_b']) }), true, 'a creation');
    assert.deepEqual(catalogue.entries.map((e) => [e.id, e.archived]), [['sesn_b', false], ['sesn_a', true]]);
    lines.delete('sesn_a');
    assert.equal(catalogue.update(lines, { reset: false, ids: new Set(['sesn_a']) }), true, 'a deletion');
    assert.deepEqual(catalogue.entries.map((e) => e.id), ['sesn_b']);
    lines.set('sesn_b', damaged('sesn_b'));
    assert.equal(catalogue.update(lines, { reset: false, ids: new Set(['sesn_b']) }), false, 'a session found damaged');
    assert.deepEqual([catalogue.entries.length, catalogue.damaged()], [0, [{ id: 'sesn_b', problem: 'sesn_b is damaged', fix: 'delete it' }]]);
  });
});
