import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { agentOf, byAgent, reply, type RecordedRequest, type Reply, type Responder } from '../../../src/model/scripted';
import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { readState } from '../../../src/sandbox/docker/state';
import { RuntimeError } from '../../../src/runtime/errors';
import type { EventOf, SessionEvent } from '../../../src/wire';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { requireDocker, TIMEOUT } from './helpers';

// Checkpoints and rewind of a multi-agent session on real Docker (issue #13): a coordinator and its sub-agent change
// the one container's files through their tools, each in its own shell. A rewind to the checkpoint taken right after
// the sub-agent's change brings the container's files back exactly (bytes, modes, deletions), every thread's
// conversation continues from that point, and a rewind while a thread still runs is refused and changes nothing.

const ROUND_ONE = 'Round one';
const ROUND_TWO = 'Round two';
const AFTER = 'After the rewind';
const SLEEP = 'Sleep now';
const FIRST_TASK = 'Change the files';
const SECOND_TASK = 'Change them again';

// The writer's shell stays in out/, which the coordinator removes in round two and the rewind brings back.
const WRITER_FIRST = "printf 'caf\\351\\000' > data.bin && chmod +x run.sh && rm README.md && mkdir -p out && cd out && echo w > w.txt";
const WRITER_SECOND = 'chmod -x /workspace/run.sh && printf x > /workspace/data.bin && echo back > /workspace/README.md && ln -s run.sh /workspace/link';
const LEAD_SECOND = "printf 'lead two\\n' > lead.txt && rm src/app.js && rm -rf out";

type Block = { type: string; text?: string; content?: unknown };

/** Every block of the request's conversation, in order, with the role that sent it. */
function blocks(rec: RecordedRequest): { role: string; block: Block }[] {
  return rec.body.messages.flatMap((m) => (typeof m.content === 'string' ? [{ role: m.role, block: { type: 'text', text: m.content } }] : (m.content as Block[]).map((block) => ({ role: m.role, block }))));
}

/** The latest of `keys` a user text of the request says, and how many tool results came after it. */
function progress(rec: RecordedRequest, keys: readonly string[]): { key: string | null; results: number } {
  const all = blocks(rec);
  for (let i = all.length - 1; i >= 0; i--) {
    const { role, block } = all[i]!;
    const key = role === 'user' ? keys.find((k) => JSON.stringify(block).includes(k)) : undefined;
    if (key) return { key, results: all.slice(i + 1).filter((b) => b.block.type === 'tool_result').length };
  }
  return { key: null, results: 0 };
}

/** Plays a script per round: its calls in order, then `end` (given the whole conversation) ends the turn. */
function rounds(script: Record<string, { calls: Reply[]; end: (conversation: string) => string }>, other: string): Responder {
  return (rec) => {
    const { key, results } = progress(rec, Object.keys(script));
    const round = key ? script[key] : undefined;
    if (!round) return reply.text(other);
    return round.calls[results] ?? reply.text(round.end(JSON.stringify(rec.body.messages)));
  };
}

const writer = rounds(
  {
    [FIRST_TASK]: { calls: [reply.tool('bash', { command: WRITER_FIRST })], end: () => 'writer one done' },
    [SECOND_TASK]: { calls: [reply.tool('bash', { command: WRITER_SECOND })], end: () => 'writer two done' },
    [AFTER]: { calls: [reply.tool('bash', { command: 'pwd; ls' })], end: () => 'writer after the rewind' },
    [SLEEP]: { calls: [reply.tool('bash', { command: 'sleep 4' })], end: () => 'slept' },
  },
  'writer has nothing to do',
);

/** The coordinator's follow-up goes to the thread it started in round one, named in that send_to_agent's result. */
const lead: Responder = (rec) => {
  const thread = /Started thread (sthr_\w+)/.exec(JSON.stringify(rec.body.messages))?.[1];
  return rounds(
    {
      [ROUND_ONE]: {
        calls: [reply.tool('write', { file_path: 'lead.txt', content: 'lead one\n' }), reply.tool('send_to_agent', { agent: 'writer', message: FIRST_TASK })],
        end: (c) => (c.includes('writer one done') ? 'lead one done' : 'Waiting for the writer.'),
      },
      [ROUND_TWO]: {
        calls: [reply.tool('bash', { command: LEAD_SECOND }), reply.tool('send_to_agent', { session_thread_id: thread ?? 'no thread yet', message: SECOND_TASK })],
        end: (c) => (c.includes('writer two done') ? 'lead two done' : 'Waiting for the writer.'),
      },
    },
    'lead noted it',
  )(rec);
};

const REPO = {
  'README.md': '# demo\n',
  'run.sh': '#!/bin/sh\necho run\n',
  'data.bin': '\u0000\u0001binary\n',
  'src/app.js': 'console.log("hi");\n',
};

const idles = (n: number) => (es: readonly SessionEvent[]) => es.filter((e) => e.type === 'session.status_idle').length >= n;
const said = (text: string, thread?: string) => [{ type: 'user.message' as const, content: [{ type: 'text' as const, text }], ...(thread ? { session_thread_id: thread } : {}) }];

for (const files of ['overlay', 'copy'] as const) {
  describe(`docker: checkpoints and rewind of a multi-agent session (${files} mode)`, function () {
    this.timeout(TIMEOUT * 2);
    let t: TestRuntime;
    let provider: DockerSandboxProvider;

    before(async () => void (await requireDocker()));
    afterEach(async () => {
      await t?.runtime.close();
      await provider?.reap(new Set());
      await t?.close();
    });

    it("a rewind to the checkpoint after the sub-agent's change restores the container's files and every thread's conversation; refused while a thread runs", async () => {
      t = await makeTestRuntime({ repoFiles: REPO, script: byAgent({ lead, writer }), provider: (storage) => (provider = new DockerSandboxProvider({ storageRoot: storage, files })) });
      const writerAgent = await t.agent({ name: 'writer' });
      const leadAgent = await t.agent({ name: 'lead', multiagent: { type: 'coordinator', agents: [writerAgent] } });
      const id = (await t.runtime.sessions.create({ agent: leadAgent, environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] })).id;
      const lastOf = (agent: string) => JSON.stringify(t.model.requests.filter((r) => agentOf(r) === agent).at(-1)?.body.messages);

      await t.runtime.sessions.send(id, said(ROUND_ONE));
      const first = await t.waitFor(id, idles(1), 120_000);
      const container = (await readState(provider.root, id))?.containerId;
      assert.ok(container, 'the session has a container');
      const filesNow = () => containerFiles(container);

      // Both threads changed files through their tools: a checkpoint after each call, and one at the idle.
      const writerThread = (first.find((e) => e.type === 'session.thread_created') as EventOf<'session.thread_created'>).session_thread_id;
      const leadWrite = first.find((e) => e.type === 'agent.tool_use' && e.name === 'write' && !e._hangar?.thread)!;
      const writerBash = first.find((e) => e.type === 'agent.tool_use' && e.name === 'bash' && e._hangar?.thread === writerThread)!;
      assert.ok(leadWrite && writerBash, "the coordinator's write and the sub-agent's bash ran");
      const checkpoints = await t.runtime.sessions.checkpoints(id);
      assert.deepEqual(
        checkpoints.map((c) => [c.trigger, c.tool_use_id]),
        [
          ['tool_call', leadWrite.id],
          ['tool_call', writerBash.id],
          ['idle', null],
        ],
      );
      const target = checkpoints[1]!;
      assert.equal(checkpoints[2]!.tree, target.tree, 'nothing changed files after the sub-agent');
      const atTarget = filesNow();
      assert.match(atTarget, /^\.\/run\.sh f 755 $/m, "the sub-agent's chmod");
      assert.match(atTarget, /^\.\/out\/w\.txt f 644 $/m);
      assert.doesNotMatch(atTarget, /README\.md/, "the sub-agent's deletion");
      assert.match(atTarget, /^\.\/lead\.txt f 644 $/m, "the coordinator's write");
      assert.equal(read(container, 'data.bin').toString('latin1'), 'caf\xe9\x00');
      const patchAtTarget = (await t.runtime.sessions.changes(id)).patch;

      // Round two: both threads change the files again, in the same thread of the sub-agent.
      await t.runtime.sessions.send(id, said(ROUND_TWO));
      const second = await t.waitFor(id, idles(2), 120_000);
      assert.equal(second.filter((e) => e.type === 'session.thread_created').length, 1, 'the follow-up went to the same thread');
      const atSecond = filesNow();
      assert.notEqual(atSecond, atTarget);
      assert.match(atSecond, /^\.\/link l 777 run\.sh$/m);

      const done = await t.runtime.sessions.rewind(id, target.id);
      assert.equal(done.checkpoint.id, target.id);
      assert.equal(filesNow(), atTarget, "the container's files are the checkpoint's: bytes, modes, deletions, and nothing added since");
      assert.equal(read(container, 'data.bin').toString('latin1'), 'caf\xe9\x00');
      assert.equal((await t.runtime.sessions.changes(id)).patch, patchAtTarget, 'review sees the same changes');

      // Every thread continues from the checkpoint: the sub-agent's context ends at its call (its answer came after),
      // the coordinator's at its delegation; neither holds round two.
      await t.runtime.sessions.send(id, said(AFTER, writerThread));
      await t.waitFor(id, idles(3), 120_000);
      const writerContext = lastOf('writer');
      assert.match(writerContext, new RegExp(FIRST_TASK));
      assert.ok(writerContext.includes('cd out && echo w > w.txt'), "the sub-agent's call is in its context");
      assert.match(writerContext, new RegExp(AFTER));
      const listed = (await t.events(id)).findLast((e) => e.type === 'agent.tool_result' && e._hangar?.thread === writerThread);
      assert.match(JSON.stringify(listed?.type === 'agent.tool_result' ? listed.content : null), /\/workspace\/out\\nw\.txt/, "the writer's shell, still in out/, sees the restored directory");
      assert.doesNotMatch(writerContext, /writer one done|Change them again|writer two done/, "the writer's context holds nothing after the checkpoint");
      const leadContext = lastOf('lead');
      assert.match(leadContext, new RegExp(ROUND_ONE));
      assert.match(leadContext, /writer after the rewind/, "the sub-agent's answer reached the coordinator");
      assert.doesNotMatch(leadContext, /Round two|lead two|writer one done|writer two done/, "nor the coordinator's");
      // The sub-agent's shell works in the restored files.
      await t.runtime.sessions.send(id, said(SLEEP, writerThread));
      await t.waitFor(id, (es) => es.some((e) => e.type === 'agent.tool_use' && e._hangar?.thread === writerThread && JSON.stringify(e.input).includes('sleep 4')), 60_000);

      // A rewind while the sub-agent's command runs is refused, and changes nothing.
      const logged = (await t.events(id)).length;
      await assert.rejects(t.runtime.sessions.rewind(id, done.before_checkpoint_id), (e: unknown) => e instanceof RuntimeError && e.status === 400 && e.message.includes(`Session ${id} is running. Interrupt it first`));
      const log = await t.events(id);
      assert.equal(log.filter((e) => e.type === 'hangar.rewind').length, 1, 'no rewind was logged');
      assert.ok(!log.slice(logged).some((e) => e.type === 'hangar.checkpoint'), 'nor a checkpoint');
      assert.equal(filesNow(), atTarget, 'the files are untouched');
      await t.waitFor(id, idles(4), 120_000);

      // Undone: back to the files before the rewind.
      await t.runtime.sessions.rewind(id, done.before_checkpoint_id);
      assert.equal(filesNow(), atSecond, 'undone: the files are as they were before the rewind');
    });
  });
}

/**
 * Every file and symlink of the container's /workspace but .git: path, type, permission bits and link target, then the
 * sha256 of each file's bytes. Directories show through their files: a checkpoint records no empty one (ARCHITECTURE.md).
 */
function containerFiles(container: string): string {
  return execFileSync('docker', [
    'exec',
    container,
    'sh',
    '-c',
    "cd /workspace && find . -path ./.git -prune -o \\( -type f -o -type l \\) -printf '%p %y %m %l\\n' | sort && find . -path ./.git -prune -o -type f -print0 | sort -z | xargs -0 sha256sum",
  ]).toString();
}

function read(container: string, file: string): Buffer {
  return execFileSync('docker', ['exec', '-w', '/workspace', container, 'cat', file]);
}
