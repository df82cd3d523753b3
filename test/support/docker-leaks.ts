import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Context } from 'mocha';
import { engineAnswers, removeSandboxObjects, sandboxesUnder } from './docker-leftovers.mjs';

// A mocha run leaves no Hangar sandbox behind (a Docker container or volume), and says which test made one that it
// did. Every temp dir of the run (os.tmpdir(): test storage, CLI homes, repositories, child processes' too) lives
// under one directory made for the run, which is how its sandboxes are told from other runs' on the same engine
// (docker-leftovers.mjs). At the end the run's leftovers are listed with the tests that ran when each was made,
// removed, and the run fails.

const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hangar-run-'));
process.env.TMPDIR = runDir;

interface Started {
  title: string;
  file: string;
  at: number;
}
const started: Started[] = [];

/** The tests that ran when something was made: the last one started before it, or the hooks before the next. */
function madeDuring(at: number): string {
  // Engine times have whole seconds.
  const i = started.findLastIndex((s) => s.at <= at + 999);
  const before = started[i];
  const after = started[i + 1];
  const name = (s: Started) => `"${s.title}" (${path.relative(process.cwd(), s.file)})`;
  if (!before) return after ? `before ${name(after)}` : 'before any test';
  return after ? `during ${name(before)} or the hooks before ${name(after)}` : `during ${name(before)} or a hook after it`;
}

export const mochaHooks = {
  beforeEach(this: Context) {
    const t = this.currentTest;
    if (t) started.push({ title: t.fullTitle(), file: t.file ?? '', at: Date.now() });
  },
  afterAll() {
    // Root hooks run before the test files' own root-level ones (tmp.ts): the run dir goes at exit, while a detached
    // process of a test (a container remover, a pool keeper) may still be writing in it.
    process.once('exit', () => {
      try {
        fs.rmSync(runDir, { recursive: true, force: true, maxRetries: 5 });
      } catch {
        // Left for the system's temp cleanup: the run's verdict does not depend on it.
      }
    });
    if (!engineAnswers()) return;
    const left = sandboxesUnder(runDir);
    if (left.length === 0) return;
    removeSandboxObjects(left);
    const lines = left.map((l) => `  ${l.kind} ${l.what}, made ${madeDuring(l.createdAt)}`);
    throw new Error(`this run left ${left.length} Hangar sandbox object(s) in the Docker engine (now removed):\n${lines.join('\n')}`);
  },
};
