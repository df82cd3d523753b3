import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import type { MessageParam, ToolResultBlockParam, ToolUseBlock } from '@anthropic-ai/sdk/resources/messages';
import { DEMO_FIX, demoResponder, startScriptedModel, type ScriptedModel } from '../../src/model/scripted';

const SAMPLE = join(import.meta.dirname, '../../sandbox/sample-repo');

// A minimal stand-in for the real tool executor: enough to drive the demo against a copy of the repo.
function execute(dir: string, tool: ToolUseBlock, skipEdits: boolean): ToolResultBlockParam {
  const input = tool.input as Record<string, string>;
  const result = (content: string, is_error = false): ToolResultBlockParam => ({ type: 'tool_result', tool_use_id: tool.id, content, is_error });
  const file = join(dir, input.file_path ?? '');
  switch (tool.name) {
    case 'read':
      return result(readFileSync(file, 'utf8'));
    case 'edit':
      if (!skipEdits) writeFileSync(file, readFileSync(file, 'utf8').replace(input.old_string ?? '', input.new_string ?? ''));
      return result('edited');
    case 'bash': {
      const run = spawnSync('bash', ['-c', input.command ?? ''], { cwd: dir, encoding: 'utf8' });
      return result(run.stdout + run.stderr, run.status !== 0);
    }
    default:
      return result(`unknown tool ${tool.name}`, true);
  }
}

async function runDemo(dir: string, skipEdits = false, thinking = false): Promise<{ tools: ToolUseBlock[]; finalText: string }> {
  const client = new Anthropic({ apiKey: 'test', baseURL: model?.url, maxRetries: 0 });
  const messages: MessageParam[] = [{ role: 'user', content: 'The tests fail. Please fix them.' }];
  const tools: ToolUseBlock[] = [];
  for (let turn = 0; turn < 10; turn++) {
    const msg = await client.messages.stream({ model: 'claude-scripted', max_tokens: 4096, messages, ...(thinking ? { thinking: { type: 'adaptive' as const } } : {}) }).finalMessage();
    messages.push({ role: 'assistant', content: msg.content });
    const uses = msg.content.filter((b) => b.type === 'tool_use');
    if (msg.stop_reason !== 'tool_use') {
      return { tools, finalText: msg.content.map((b) => (b.type === 'text' ? b.text : '')).join('') };
    }
    tools.push(...uses);
    messages.push({ role: 'user', content: uses.map((u) => execute(dir, u, skipEdits)) });
  }
  assert.fail('the demo did not finish in 10 turns');
}

let model: ScriptedModel | undefined;
let dir = '';

describe('demo responder on sandbox/sample-repo', () => {
  beforeEach(async () => {
    model = await startScriptedModel({ script: demoResponder });
    dir = mkdtempSync(join(tmpdir(), 'hangar-demo-'));
    cpSync(SAMPLE, dir, { recursive: true });
  });
  afterEach(async () => {
    await model?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the sample repo starts with a failing test', () => {
    const run = spawnSync('node', ['test.js'], { cwd: dir, encoding: 'utf8' });
    assert.equal(run.status, 1);
    assert.match(run.stdout, /FAIL add\(2, 3\)/);
  });

  it('reads, runs the tests, fixes add, reruns them and summarises', async () => {
    const { tools, finalText } = await runDemo(dir);
    assert.deepEqual(tools.map((t) => t.name), ['read', 'bash', 'edit', 'bash']);
    assert.deepEqual(tools[2]?.input, { file_path: 'src/math.js', old_string: 'return a - b;', new_string: DEMO_FIX });
    assert.match(readFileSync(join(dir, 'src/math.js'), 'utf8'), /return a \+ b;/);
    assert.equal(spawnSync('node', ['test.js'], { cwd: dir }).status, 0);
    assert.match(finalText, /passes/);
  });

  it('thinks before each step with thinking on, and its replayed turns pass the strict checks', async () => {
    const { tools, finalText } = await runDemo(dir, false, true);
    assert.deepEqual(tools.map((t) => t.name), ['read', 'bash', 'edit', 'bash']);
    assert.match(finalText, /passes/);
    assert.equal(model?.rejected.length, 0);
    assert.ok(model?.requests.every((r) => r.body.messages.every((m) => m.role === 'user' || (Array.isArray(m.content) && m.content[0]?.type === 'thinking'))));
  });

  it('reports honestly when the tests still fail after the edit', async () => {
    const { finalText } = await runDemo(dir, true);
    assert.match(finalText, /still fails/);
    assert.match(finalText, /FAIL add/);
  });
});
