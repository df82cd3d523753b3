import assert from 'node:assert/strict';

// Proof that two commands ran at the same time, without timing thresholds: each writes its start mark to a shared
// file, waits (bounded) for the other's start mark, then writes its end mark. Run concurrently, both starts come
// before either end; run one after another, the first gives up waiting and ends before the second starts.

/** A bash command for `me` that meets `other` in the marks file `file`. */
export function rendezvous(file: string, me: string, other: string): string {
  return `echo start-${me} >> ${file}; for i in $(seq 100); do grep -q start-${other} ${file} && break; sleep 0.1; done; echo end-${me} >> ${file}`;
}

/** The marks file of two rendezvous: both started before either ended. */
export function startsBeforeEnds(marks: string): void {
  const lines = marks.trim().split('\n');
  assert.equal(lines.length, 4, marks);
  assert.deepEqual(lines.map((l) => l.split('-')[0]), ['start', 'start', 'end', 'end'], `the commands overlapped:\n${marks}`);
}
