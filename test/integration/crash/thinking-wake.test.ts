import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reply, type RecordedRequest } from '../../../src/model/scripted';
import type { SessionEvent } from '../../../src/wire';
import { MODEL_APIS, type ModelApi } from '../../support/model-apis';
import { makeTestRuntime, idleAfter, type TestRuntime } from '../../support/runtime';

// With thinking on, a kill can stop a session between a thinking block and the tool call it leads to, after the
// tool call before its result, or while the tool runs. What a kill leaves of the log is a prefix of it (records are
// appended in order and a torn tail is repaired on open), so this cuts the log of a whole thinking-on tool loop after
// every record, wakes a fresh runtime on each cut against the strict scripted server (signed thinking, the API's 400s),
// and checks what the API requires: every request accepted, thinking passed back unmodified and in order, every
// tool_use answered exactly once, and the turn finished (issue #16, "crash trials with thinking on"). Against the
// OpenAI-compatible provider the model is a reasoning one: its reasoning is logged as thinking and never sent back,
// which the strict Chat Completions server checks (it refuses reasoning_content in a message).

const STEPS = 3;

function responder(req: RecordedRequest) {
  const done = JSON.stringify(req.body.messages).split('"tool_result"').length - 1;
  if (done >= STEPS) return reply.text('all steps done');
  return done % 2 === 0 ? reply.tool('bash', { command: `echo step${done} >> steps.txt` }) : reply.tool('write', { file_path: `out/${done}.txt`, content: `step ${done}\n` });
}

type Block = { type: string; signature?: string };
const blocksOf = (m: RecordedRequest['body']['messages'][number]): Block[] => (typeof m.content === 'string' ? [] : (m.content as Block[]));
const signatures = (req: RecordedRequest): string[] => req.body.messages.flatMap((m) => blocksOf(m).flatMap((b) => (b.type === 'thinking' && b.signature ? [b.signature] : [])));
const loggedSignatures = (events: readonly SessionEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'agent.thinking' ? ((e._hangar?.blocks ?? []) as Block[]).flatMap((b) => (b.signature ? [b.signature] : [])) : []));

/** What a kill at this cut interrupts; the cuts the issue names must all occur. */
function cutKind(events: readonly SessionEvent[]): string {
  const last = events.at(-1)!;
  const openSpan = events.filter((e) => e.type === 'span.model_request_start').length > events.filter((e) => e.type === 'span.model_request_end').length;
  const answered = new Set(events.flatMap((e) => (e.type === 'agent.tool_result' ? [e.tool_use_id] : [])));
  const unanswered = events.some((e) => e.type === 'agent.tool_use' && !answered.has(e.id));
  if (last.type === 'agent.thinking' && openSpan) return 'after thinking, before its tool call';
  if (last.type === 'agent.tool_use' && openSpan) return 'after the tool call, inside its reply';
  if (unanswered && !openSpan) return 'while the tool runs';
  return 'elsewhere';
}

function checkAnswered(events: readonly SessionEvent[]): void {
  const results = new Map<string, number>();
  for (const e of events) if (e.type === 'agent.tool_result') results.set(e.tool_use_id, (results.get(e.tool_use_id) ?? 0) + 1);
  for (const u of events.filter((e) => e.type === 'agent.tool_use')) assert.equal(results.get(u.id), 1, `tool_use ${u.id} has exactly one result`);
  const ids = new Set(events.map((e) => e.id));
  for (const id of results.keys()) assert.ok(ids.has(id), `the result for ${id} answers a logged tool_use`);
}

/**
 * Claude's thinking goes back as it came: every tool-use turn starts with its block, and the blocks keep the log's
 * order. A reasoning model's thinking stays in the log only.
 */
function checkThinkingReplayed(api: ModelApi, req: RecordedRequest, events: readonly SessionEvent[]): void {
  if (api === 'openai') return assert.doesNotMatch(JSON.stringify(req.body.messages), /thinking|The next step/, 'reasoning is not sent back');
  assert.equal(req.body.thinking?.type, 'adaptive', 'thinking is on');
  for (const m of req.body.messages.filter((x) => x.role === 'assistant' && blocksOf(x).some((b) => b.type === 'tool_use'))) {
    assert.equal(blocksOf(m)[0]?.type, 'thinking', 'each tool-use turn starts with its thinking block');
  }
  const sent = signatures(req);
  const logged = loggedSignatures(events);
  for (const s of sent) assert.ok(logged.includes(s), 'every thinking block sent is one the model gave');
  assert.deepEqual(sent, logged.filter((s) => sent.includes(s)), 'thinking blocks go back in the order they came');
}

for (const api of MODEL_APIS) {
  describe(`crash: a kill anywhere in a thinking-on tool loop, then wake(), sends only requests the strict server accepts (${api})`, function () {
    this.timeout(300_000);
    let t: TestRuntime;
    let sessionId: string;
    let lines: string[];

    before(async () => {
      t = await makeTestRuntime({ api, script: responder, model: { reasoning: true } });
      sessionId = await t.start('do the steps');
      const events = await t.waitFor(sessionId, idleAfter(1));
      assert.deepEqual(t.model.rejected, [], 'the uncut run was accepted');
      assert.ok(events.filter((e) => e.type === 'agent.thinking').length > STEPS, 'the model thought before every step');
      await t.runtime.close();
      const log = await fsp.readFile(path.join(t.storage, 'sessions', sessionId, 'events.jsonl'), 'utf8');
      lines = log.split('\n').filter(Boolean);
    });
    after(async () => t?.close());

    it('wakes from a cut after every record of the log', async () => {
      const kinds = new Map<string, number>();
      let repaired = 0;
      for (let cut = 1; cut <= lines.length; cut++) {
        const storage = await fsp.mkdtemp(path.join(os.tmpdir(), 'hangar-thinking-cut-'));
        await fsp.cp(t.storage, storage, { recursive: true });
        await fsp.writeFile(path.join(storage, 'sessions', sessionId, 'events.jsonl'), `${lines.slice(0, cut).join('\n')}\n`);
        const next = await makeTestRuntime({ api, storage, script: responder, model: { reasoning: true } });
        try {
          const before = (await next.events(sessionId)).length;
          assert.equal(before, cut, 'the cut log opens as cut');
          const kind = cutKind(await next.events(sessionId));
          kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
          await next.runtime.sessions.wake(sessionId);
          await next.runtime.settled(sessionId);
          const events = await next.events(sessionId);
          assert.deepEqual(next.model.rejected.map((r) => r.message), [], 'the strict server accepted every request after the wake');
          for (const req of next.model.requests) checkThinkingReplayed(api, req, events);
          checkAnswered(events);
          const last = events.at(-1);
          assert.ok(last?.type === 'session.status_idle' && last.stop_reason.type === 'end_turn', `the turn finishes (last: ${last?.type})`);
          assert.ok(events.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes('all steps done')), 'every step was done');
          if (events.slice(before).some((e) => e.type === 'agent.tool_result' && e.is_error)) repaired += 1;
        } catch (err) {
          throw new Error(`cut after record ${cut} of ${lines.length}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        } finally {
          await next.close();
          await fsp.rm(storage, { recursive: true, force: true });
        }
      }
      for (const kind of ['after thinking, before its tool call', 'after the tool call, inside its reply', 'while the tool runs']) {
        assert.ok((kinds.get(kind) ?? 0) >= STEPS, `cuts ${kind}: ${kinds.get(kind) ?? 0}`);
      }
      assert.ok(repaired >= STEPS, 'tool calls cut off or interrupted by a kill were answered with an error');
    });
  });
}
