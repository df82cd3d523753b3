import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { encodeRecord } from '../../../src/log/record';
import { readRecordChunks } from '../../../src/log/record-stream';
import { renderRecords } from '../../../src/cli/event-text';
import { cliHint } from '../../../src/cli/invocation';
import { paint } from '../../../src/cli/render';
import { ThreadLines } from '../../../src/cli/thread-lines';
import { tempDir } from '../log/support';

// `hangar events` as text, rendered from the log's records chunk by chunk: the lines of a session with every kind of
// line (tool output folded at every length, a multi-agent session's names and prefixes, events that print nothing),
// exactly as the CLI printed them before it streamed the text form.

const SESSION = 'sesn_text';
const THREAD = 'sthr_writer';
const at = (k: number) => new Date(Date.UTC(2026, 0, 1) + k * 1000).toISOString();
const text = (t: string) => [{ type: 'text', text: t }];
const usage = { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
const lines = (n: number, end = '') => Array.from({ length: n }, (_, k) => `line ${k + 1}`).join('\n') + end;
const result = (output: string, extra: Record<string, unknown> = {}) => ({ type: 'agent.tool_result', tool_use_id: 'sevt_use', content: text(output), is_error: false, ...extra });
const inThread = { _hangar: { thread: THREAD } };

/** Events as appended: the harness's own key orders (type first, or after the id), with ids and times filled in. */
function events(): Record<string, unknown>[] {
  const list: Record<string, unknown>[] = [
    { type: 'user.message', content: text('Fix the tests, please') },
    { type: 'session.status_running' },
    { type: 'span.model_request_start' },
    { type: 'agent.thinking', _hangar: { blocks: [{ type: 'thinking', thinking: 'Let me look.', signature: 's' }] } },
    { type: 'agent.message', content: text('ünïcødé ✓ and "quotes"\nover two lines') },
    { type: 'agent.tool_use', name: 'bash', input: { command: 'npm test\n# and more' }, evaluated_permission: 'allow' },
    { type: 'agent.tool_use', name: 'read', input: { file_path: 'src/app.js' }, evaluated_permission: 'ask' },
    { type: 'agent.mcp_tool_use', mcp_server_name: 'docs', name: 'search', input: { query: 'x' }, evaluated_permission: 'allow' },
    { type: 'span.model_request_end', model_request_start_id: 'sevt_x', is_error: false, model_usage: usage },
    { type: 'session.status_idle', stop_reason: { type: 'requires_action', event_ids: ['sevt_use'] } },
    { type: 'user.tool_confirmation', tool_use_id: 'sevt_use', result: 'deny', deny_message: 'not that file' },
    { type: 'user.message', content: text('queued while running'), processed_at: null },
    result(''),
    result('one line'),
    result('one line, ended\n'),
    result(lines(8)),
    result(lines(8, '\n')),
    result(lines(9)),
    result(lines(8, '\n\n')),
    result(lines(20, '\n'), { is_error: true }),
    result('\n\nafter blanks\n\n'),
    { type: 'agent.mcp_tool_result', mcp_tool_use_id: 'sevt_mcp', content: [{ type: 'text', text: 'found' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA==' } }] },
    { type: 'hangar.checkpoint', checkpoint_id: 'ckpt_1', tree: 'a'.repeat(40), trigger: 'tool_call' },
    { type: 'session.error', error: { type: 'model_overloaded_error', message: 'Overloaded', retry_status: { type: 'retrying' } } },
    { type: 'session.status_rescheduled' },
    { type: 'session.thread_created', session_thread_id: THREAD, agent_name: 'writer', workflow_run_id: null },
    { type: 'agent.thread_message_sent', to_session_thread_id: THREAD, content: text('Write a.txt\nwith care') },
    { type: 'agent.thread_message_received', from_session_thread_id: 'sthr_lead', content: text('Write a.txt'), ...inThread },
    { type: 'session.thread_status_running', session_thread_id: THREAD, agent_name: 'writer', ...inThread },
    { type: 'agent.tool_use', name: 'write', input: { file_path: 'a.txt', content: 'A' }, evaluated_permission: 'allow', ...inThread },
    { ...result(lines(10)), ...inThread },
    { type: 'span.model_request_end', model_request_start_id: 'sevt_y', is_error: false, model_usage: usage, ...inThread },
    { type: 'session.thread_status_idle', session_thread_id: THREAD, agent_name: 'writer', stop_reason: { type: 'end_turn' }, ...inThread },
    { type: 'agent.thread_message_received', from_session_thread_id: THREAD, from_agent_name: 'writer', content: text('wrote a') },
    { type: 'session.thread_status_terminated', session_thread_id: THREAD, agent_name: 'writer', ...inThread },
    { type: 'user.define_outcome', description: 'Tests pass', max_iterations: 2 },
    { type: 'span.outcome_evaluation_start', outcome_id: 'out_1', iteration: 0 },
    { type: 'span.outcome_evaluation_ongoing', outcome_id: 'out_1', iteration: 0 },
    { type: 'span.outcome_evaluation_end', outcome_evaluation_start_id: 'sevt_e', outcome_id: 'out_1', iteration: 0, result: 'needs_revision', explanation: 'One test fails.\nSee below.', usage, _hangar: { checks: [{ command: 'npm test', exit_code: 1 }, { command: 'npm run lint', exit_code: null }] } },
    { type: 'hangar.rewind', checkpoint_id: 'ckpt_1' },
    { type: 'user.interrupt' },
    { type: 'session.status_idle', stop_reason: { type: 'end_turn' } },
    { type: 'session.status_terminated' },
  ];
  return list.map((e, k) => (k % 2 === 0 ? { id: `sevt_${k}`, processed_at: at(k), ...e } : { processed_at: at(k), ...e, id: `sevt_${k}` }));
}

/** What `hangar events` printed for these events before the text form was streamed from the records (c. 9ebe5fa). */
const PRINTED = `
› you  Fix the tests, please
… thinking
● agent  ünïcødé ✓ and "quotes"
over two lines
⚙ bash $ npm test
⚙ read src/app.js (needs your approval)
⚙ docs/search {"query":"x"}
■ waits for you
✓ deny: not that file
› you  queued while running
  │ 
  │ one line
  │ one line, ended
  │ line 1
  │ line 2
  │ line 3
  │ line 4
  │ line 5
  │ line 6
  │ line 7
  │ line 8
  │ line 1
  │ line 2
  │ line 3
  │ line 4
  │ line 5
  │ line 6
  │ line 7
  │ line 8
  │ line 1
  │ line 2
  │ line 3
  │ line 4
  │ line 5
  │ line 6
  │ line 7
  │ line 8
  │ … 1 more lines (all of it: HINT)
  │ line 1
  │ line 2
  │ line 3
  │ line 4
  │ line 5
  │ line 6
  │ line 7
  │ line 8
  │ … 1 more lines (all of it: HINT)
  │ line 1
  │ line 2
  │ line 3
  │ line 4
  │ line 5
  │ line 6
  │ line 7
  │ line 8
  │ … 12 more lines (all of it: HINT)
  │ 
  │ 
  │ after blanks
  │ 
  │ found
  │ [image]
✖ model_overloaded_error: Overloaded (retrying)
↻ retrying the model request
▶ sub-agent writer started (sthr_writer)
→ to writer: Write a.txt
[writer] ⚙ write a.txt
[writer]   │ line 1
[writer]   │ line 2
[writer]   │ line 3
[writer]   │ line 4
[writer]   │ line 5
[writer]   │ line 6
[writer]   │ line 7
[writer]   │ line 8
[writer]   │ … 2 more lines (all of it: HINT)
■ sub-agent writer finished
← from writer: wrote a
■ sub-agent writer archived
› outcome  Tests pass (up to 2 evaluations)
… grading iteration 1
◆ iteration 1: needs revision
  ✗ npm test (exit 1)
  ✗ npm run lint (did not finish)
  One test fails.
  See below.
↶ rewound to checkpoint ckpt_1: the files are back as they were, the conversation continues from there
⏹ interrupt
■ terminated
`;

describe('hangar events as text, rendered from the log records', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  async function printed(chunkBytes?: number, times = 1): Promise<string> {
    const file = path.join(dir, 'events.jsonl');
    const log = Array.from({ length: times }, (_, t) => events().map((e) => ({ ...e, id: `${String(e.id)}_${t}` }))).flat();
    await fsp.writeFile(file, log.map((e, k) => encodeRecord(k, JSON.stringify(e))).join(''));
    const threadLines = new ThreadLines(paint(false), SESSION);
    let out = '';
    for await (const chunk of readRecordChunks(file, chunkBytes)) for (const text of renderRecords(threadLines, chunk)) out += text;
    return out;
  }

  const expected = () => PRINTED.replaceAll('HINT', cliHint('--json', 'events', SESSION)).slice(1);

  it('prints every line as before: folded output, sub-agent names and prefixes, nothing for silent events', async () => {
    assert.equal(await printed(), expected());
  });

  it('prints the same whatever the chunks the log is read in', async () => {
    for (const chunkBytes of [64, 700]) assert.equal(await printed(chunkBytes), expected(), `chunks of ${chunkBytes} bytes`);
  });

  it('prints a long log whole, its lines handed out in batches', async () => {
    assert.equal(await printed(undefined, 300), expected().repeat(300));
  });
});
