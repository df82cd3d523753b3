import assert from 'node:assert/strict';
import { costBasis, formatCost } from '../../../src/format/cost';
import { ModelCatalog, summarize, type SessionEvent } from '../../../src/wire';
import { summarizeToolInput } from '../../../src/format/tool-input';
import { threadTable } from '../../../src/cli/thread-lines';
import type { SessionThread } from '../../../src/runtime/threads';

describe('format: one text form per fact', () => {
  it('formats list-price cents the same way everywhere', () => {
    const cases: [number, string][] = [
      [0, '$0.00'],
      [-5, '$0.00'],
      [Number.NaN, '$0.00'],
      [0.05, '<$0.001'],
      [0.3, '$0.003'],
      [4, '$0.040'],
      [9.99, '$0.100'],
      [10, '$0.10'],
      [123.4, '$1.23'],
    ];
    assert.deepEqual(cases.map(([c]) => formatCost(c)), cases.map(([, s]) => s));
  });

  it('labels a cost priced without a list price an estimate, from the fold to the text', () => {
    const catalog = new ModelCatalog({}, { configs: [{ name: 'remote', kind: 'openai', baseUrl: 'https://llm.example/v1' }, { name: 'ollama', kind: 'openai', baseUrl: 'http://127.0.0.1:11434/v1' }] });
    const end = { type: 'span.model_request_end', id: 'sevt_1', processed_at: '2026-12-06T00:00:00Z', model_request_start_id: 'sevt_0', is_error: false, model_usage: { input_tokens: 10, output_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } } as unknown as SessionEvent;
    const remote = summarize([end], catalog.lookup('remote/model'));
    assert.equal(remote.costEstimated, true);
    assert.equal(formatCost(remote.costCents, remote.costEstimated), '~$0.00');
    assert.equal(costBasis(remote.costEstimated), 'estimate: no list price for its model');
    const local = summarize([end], catalog.lookup('ollama/qwen3-coder'));
    assert.equal(local.costEstimated, false, 'a local model is free, exactly');
    assert.equal(formatCost(123.4, true), '~$1.23');
    assert.equal(costBasis(false), 'list price');
  });

  it("marks a sub-agent's estimated cost in `hangar threads` as the session summary does", () => {
    const thread = (id: string, name: string, parent: string | null) => ({ id, parent_thread_id: parent, status: 'idle', archived_at: null, agent: { name } }) as unknown as SessionThread;
    const lines = threadTable([
      { thread: thread('sthr_p', 'lead', null), costCents: 12, costEstimated: false },
      { thread: thread('sthr_l', 'local', 'sthr_p'), costCents: 0, costEstimated: false },
      { thread: thread('sthr_r', 'remote', 'sthr_p'), costCents: 40, costEstimated: true },
    ]);
    assert.deepEqual(lines.map((l) => l.split(/\s+/).at(-1)), ['$0.12', '$0.00', '~$0.40']);
  });

  it('summarizes tool inputs: command, file, pattern, or short JSON', () => {
    assert.deepEqual(summarizeToolInput('bash', { command: 'npm test\nnpm run lint' }), { glyph: '$', text: 'npm test\nnpm run lint', path: null });
    assert.deepEqual(summarizeToolInput('edit', { file_path: 'src/a.ts', old_string: 'a', new_string: 'b' }), { glyph: '✎', text: 'src/a.ts', path: 'src/a.ts' });
    assert.equal(summarizeToolInput('grep', { pattern: 'TODO', path: 'src' }).text, 'TODO  in src');
    assert.equal(summarizeToolInput('lookup', {}).text, '');
    assert.equal(summarizeToolInput('lookup', { q: 'x'.repeat(300) }).text.length, 161);
  });
});
