import assert from 'node:assert/strict';
import { byAgent, reply, type RecordedRequest, type Reply, type Responder } from '../../../src/model/scripted';
import type { SessionEvent } from '../../../src/wire';

// The multi-agent session the crash tests kill and wake (threads-wake.test.ts cuts its log after every record,
// thread-trials.ts SIGKILLs the process driving it): a coordinator delegates to two sub-agents that run tools in
// their threads. Every script decides from the request alone, never from what it answered before, so a process that
// wakes the session after a kill gets the replies the killed one would have got.

export const AGENTS = ['writer', 'tester'] as const;
/** What the coordinator says once both answers are in its context. */
export const BOTH_DONE = 'Both agents are done.';

const requestText = (r: RecordedRequest) => JSON.stringify(r.body.messages);

/** Delegates to every agent it has not started (a delegation a kill cut short is answered as not done), then waits. */
function lead(r: RecordedRequest): Reply {
  const text = requestText(r);
  const missing = AGENTS.filter((n) => !text.includes(`agent \\"${n}\\" is working on it`));
  if (missing.length > 0) return { kind: 'message', blocks: missing.map((n) => ({ type: 'tool_use' as const, name: 'send_to_agent', input: { agent: n, message: `Do the ${n} part` } })) };
  return reply.text(text.includes('wrote writer') && text.includes('wrote tester') ? BOTH_DONE : 'Waiting for the agents.');
}

/** A sub-agent that runs `steps` tool calls (bash, then write, alternating), one per request, then answers. */
const member = (name: string, steps: number) => (r: RecordedRequest): Reply => {
  const done = requestText(r).split('"tool_result"').length - 1;
  if (done >= steps) return reply.text(`wrote ${name}`);
  return done % 2 === 0 ? reply.tool('bash', { command: `echo ${name}${done} >> ${name}.txt; sleep 0.02` }) : reply.tool('write', { file_path: `${name}/${done}.txt`, content: `${done}\n` });
};

export function threadsScript(steps = 1): Responder {
  return byAgent({ lead, ...Object.fromEntries(AGENTS.map((n) => [n, member(n, steps)])) });
}

/**
 * The log of a finished multi-agent session holds: unique ids; each tool_use answered exactly once, after it; each
 * delegation made one thread at most and its task answered once; the session idle (end_turn) at the end with the
 * coordinator having got both answers.
 */
export function checkThreadsLog(events: readonly SessionEvent[], done = BOTH_DONE): void {
  const ids = events.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, 'event ids are unique');
  const results = new Map<string, number>();
  for (const e of events) if (e.type === 'agent.tool_result') results.set(e.tool_use_id, (results.get(e.tool_use_id) ?? 0) + 1);
  for (const u of events.filter((e) => e.type === 'agent.tool_use')) {
    assert.equal(results.get(u.id), 1, `tool_use ${u.id} (${u.type === 'agent.tool_use' ? u.name : ''}) has exactly one result`);
    assert.ok(events.findIndex((e) => e.type === 'agent.tool_result' && e.tool_use_id === u.id) > events.indexOf(u), `the result of ${u.id} comes after it`);
  }
  for (const key of results.keys()) assert.ok(ids.includes(key), `the result for ${key} answers a logged tool_use`);
  const created = new Map<string, number>();
  for (const e of events) if (e.type === 'session.thread_created' && e._hangar?.delegation) created.set(e._hangar.delegation, (created.get(e._hangar.delegation) ?? 0) + 1);
  for (const [call, n] of created) assert.equal(n, 1, `send_to_agent ${call} started one thread`);
  const answers = new Map<string, number>();
  for (const e of events) if (e.type === 'agent.thread_message_received' && !e._hangar?.thread && e._hangar?.answers) answers.set(e._hangar.answers, (answers.get(e._hangar.answers) ?? 0) + 1);
  for (const [task, n] of answers) assert.equal(n, 1, `the answer to ${task} reached the coordinator once`);
  const tasks = events.filter((e) => e.type === 'agent.thread_message_received' && e._hangar?.thread);
  for (const task of tasks) assert.equal(answers.get(task.id), 1, `the task ${task.id} was answered`);
  const last = events.at(-1);
  assert.ok(last?.type === 'session.status_idle' && last.stop_reason.type === 'end_turn', `the session ends idle end_turn (last: ${last?.type} ${JSON.stringify(last?.type === 'session.status_idle' ? last.stop_reason : null)})`);
  assert.ok(events.some((e) => e.type === 'agent.message' && !e._hangar?.thread && JSON.stringify(e.content).includes(done)), 'the coordinator got both answers');
}
