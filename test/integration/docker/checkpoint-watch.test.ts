import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sandbox, SandboxProvider } from '../../../src/sandbox/types';
import { assertCheckpointExact, containerFiles, IGNORED, type Ignored } from './checkpoint-files';
import { env, makeRepo, newProvider, ok, requireDocker, TIMEOUT, retireAll } from './helpers';

// Copy-mode checkpoints from the tool server's watch (toolserver/checkpoint-watch.ts): after every kind of change bash
// can make (a background process writing after the call returned included), the checkpoint holds exactly the files
// the container has, ignored ones left out, and it came from the watch, not a full scan. Whenever the watch cannot be
// sure (a .gitignore changed, a burst of events the kernel may have dropped, an embedded repository, no tool server),
// the checkpoint comes from the full scan and is just as exact.

const FILES: Record<string, string> = { '.gitignore': '*.log\nbuild/\n', 'run.sh': '#!/bin/sh\n' };
for (let i = 0; i < 12; i++) FILES[`d${i}/f${i}.txt`] = `file ${i}\n`;

async function expectExact(sb: Sandbox, via: 'watch' | 'scan', step: string, unsure?: RegExp, ignored?: Ignored): Promise<void> {
  const source = await assertCheckpointExact(sb, step, ignored);
  assert.equal(source?.via, via, `after ${step}: the checkpoint came from the ${via} (${source?.unsure ?? ''})`);
  if (unsure) assert.match(source?.unsure ?? '', unsure, `after ${step}`);
}

describe('copy-mode checkpoints from the tool server watch', function () {
  this.timeout(TIMEOUT * 2);
  const providers: SandboxProvider[] = [];
  let repo: string;

  before(() => {
    repo = makeRepo(FILES);
  });
  after(() => retireAll(providers));

  async function sandbox(sessionId: string, tools: 'server' | 'exec' = 'server'): Promise<Sandbox> {
    await requireDocker();
    const p = newProvider({ files: 'copy', tools });
    providers.push(p);
    const sb = await p.provision({ sessionId, repoPath: repo, environment: env() });
    await expectExact(sb, 'scan', 'the first checkpoint', tools === 'server' ? /no watch period/ : /no tool server/);
    return sb;
  }

  it('sees every change bash makes, the late writes of a background process included', async () => {
    const sb = await sandbox('watch-bash');
    const steps = [
      'echo more >> d1/f1.txt',
      'echo x > new.txt && mkdir -p n/e/w && echo y > n/e/w/f',
      'echo z > x.log && mkdir -p build/deep && echo b > build/deep/o',
      'mv n m',
      'rm -rf d2 && chmod +x d3/f3.txt && ln -s d4 lnk',
      "sed -i s/file/FILE/ d6/f6.txt && printf 'caf\\351\\000' > bin.dat",
      'rm lnk && mkdir lnk && echo f > lnk/f',
      'rm -rf lnk && echo file > lnk',
      'touch d7/f7.txt && mv d8/f8.txt d9/ && chmod -x run.sh',
      'mkdir -p "sp ace/q\'uote" && echo q > "sp ace/q\'uote/f" && rm -rf m/e',
    ];
    for (const command of steps) {
      await ok(sb, 'bash', { command });
      await expectExact(sb, 'watch', command);
    }
    await ok(sb, 'bash', { command: '(sleep 1; echo late > late.txt; echo late >> d5/f5.txt; rm d10/f10.txt) >/dev/null 2>&1 &' });
    await sleep(2500);
    await expectExact(sb, 'watch', 'a background process wrote after the call returned');
    await ok(sb, 'write', { file_path: 'written.txt', content: 'by the write tool\n' });
    await expectExact(sb, 'watch', 'the write tool');
  });

  it('rewinds through the watch: exact bytes, modes and deletions', async () => {
    const sb = await sandbox('watch-rewind');
    const start = await sb.checkpoint();
    const atStart = await containerFiles(sb);
    await ok(sb, 'bash', { command: "rm d0/f0.txt && chmod +x d1/f1.txt && echo new > d2/new.txt && ln -s d3 link && printf '\\377' > d4/f4.txt" });
    const changed = await sb.checkpoint();
    const atChanged = await containerFiles(sb);
    await sb.restore(start);
    assert.deepEqual(await containerFiles(sb), atStart, 'back at the start');
    await expectExact(sb, 'watch', 'the rewind');
    await sb.restore(changed);
    assert.deepEqual(await containerFiles(sb), atChanged, 'forward again');
    await expectExact(sb, 'watch', 'the second rewind');
  });

  it('scans in full when a .gitignore changes, and sees the file it no longer ignores', async () => {
    const sb = await sandbox('watch-gitignore');
    await ok(sb, 'bash', { command: 'echo kept > keep.log' });
    await expectExact(sb, 'watch', 'an ignored file');
    await ok(sb, 'bash', { command: "printf '*.log\\n!keep.log\\nbuild/\\n' > .gitignore" });
    const keep: Ignored = (p) => p !== 'keep.log' && IGNORED(p);
    await expectExact(sb, 'scan', 'keep.log is no longer ignored', /\.gitignore changed/, keep);
    await ok(sb, 'bash', { command: 'echo again >> d1/f1.txt' });
    await expectExact(sb, 'watch', 'the next change', undefined, keep);
  });

  it('scans in full after a burst of events the kernel may have dropped', async () => {
    const sb = await sandbox('watch-burst');
    await ok(sb, 'bash', { command: 'cd d0 && seq 1 9000 | sed s/$/.txt/ | xargs touch && echo changed > f0.txt' });
    await expectExact(sb, 'scan', '9000 files made in a watched directory', /events at once/);
    await ok(sb, 'bash', { command: 'echo again >> d1/f1.txt' });
    await expectExact(sb, 'watch', 'the next change');
  });

  it('scans in full around an embedded repository', async () => {
    const sb = await sandbox('watch-embedded');
    await ok(sb, 'bash', { command: 'mkdir sub && cd sub && git init -q && echo a > a && git add a && git -c user.name=a -c user.email=a@a commit -qm a' });
    // Its files are not the checkpoint's: git records the repository as a gitlink, which is not written out.
    await expectExact(sb, 'scan', 'an embedded repository appeared', /embedded git repository/, (p) => p.startsWith('sub/') || IGNORED(p));
  });

  it('scans in full without a tool server', async () => {
    const sb = await sandbox('watch-exec', 'exec');
    await ok(sb, 'bash', { command: 'echo more >> d1/f1.txt && rm d2/f2.txt && echo n > n.txt' });
    await expectExact(sb, 'scan', 'bash through engine execs', /no tool server/);
  });
});
