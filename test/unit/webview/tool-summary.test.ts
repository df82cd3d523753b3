import assert from 'node:assert/strict';
import type { ToolItem } from '../../../webview/model/items';
import { toolLine } from '../../../webview/render/tool-summary';

function tool(name: string, input: Record<string, unknown>, result: { text: string; isError?: boolean; attachments?: number } | null, extra: Partial<ToolItem> = {}): ToolItem {
  return {
    kind: 'tool', key: 'sevt_1', lane: '', at: null, toolKind: 'builtin', name, server: null, input, permission: 'allow', confirmation: null, live: null,
    result: result ? { text: result.text, isError: result.isError ?? false, attachments: result.attachments ?? 0 } : null,
    ...extra,
  };
}

describe('webview tool line wording', () => {
  it('says what each built-in tool found in a few words', () => {
    assert.deepEqual(toolLine(tool('glob', { pattern: '**/*.ts' }, { text: 'a.ts\nb.ts\n[showing the 2 newest of 9 matches; narrow the pattern or path]' }), false).result, { text: '2 files', tone: 'ok' });
    assert.equal(toolLine(tool('glob', { pattern: '*.md' }, { text: 'No files match "*.md" under .' }), false).result.text, 'no files');
    assert.equal(toolLine(tool('grep', { pattern: 'x' }, { text: 'No matches for "x" in src.' }), false).result.text, 'no matches');
    assert.equal(toolLine(tool('read', { file_path: 'e.txt' }, { text: '[e.txt is empty]' }), false).result.text, 'empty');
    assert.equal(toolLine(tool('read', { file_path: 'p.png' }, { text: '', attachments: 1 }), false).result.text, '1 attachment');
    assert.equal(toolLine(tool('bash', { command: 'true' }, { text: '(no output)' }), false).result.text, 'exit 0');
    assert.equal(toolLine(tool('write', { file_path: 'a.js', content: 'x\ny\n' }, { text: 'Wrote 4 bytes to a.js (replaced its content).' }), false).result.text, 'rewrote · 2 lines', 'no "−0": what the write replaced is not in the call');
    assert.equal(toolLine(tool('web_fetch', { url: 'https://example.com' }, { text: 'Example Domain' }), false).result.text, 'Example Domain');
    assert.equal(toolLine(tool('web_fetch', { url: 'https://example.com' }, { text: 'Example Domain' }), false).icon, 'globe');
  });

  it('names a failure by the note the tool appended, else by its first line', () => {
    const timedOut = tool('bash', { command: 'sleep 999' }, { text: 'partial\n[command timed out after 1000 ms; it and its child processes were killed]', isError: true });
    assert.deepEqual(toolLine(timedOut, false).result, { text: 'command timed out after 1000 ms; it and its child processes were killed', tone: 'error' });
    assert.equal(toolLine(tool('read', { file_path: 'x' }, { text: 'x: no such file\nmore', isError: true }), false).result.text, 'x: no such file');
  });

  it('shows the state of a call without a result, and no diff for a denied write', () => {
    assert.deepEqual(toolLine(tool('bash', { command: 'ls' }, null), false).result, { text: 'running…', tone: 'busy' });
    assert.deepEqual(toolLine(tool('bash', { command: 'ls' }, null, { permission: 'ask' }), true).result, { text: 'waiting for approval', tone: 'warn' });
    const denied = toolLine(tool('write', { file_path: 'a', content: 'x' }, null, { confirmation: { result: 'deny', denyMessage: null } }), false);
    assert.deepEqual(denied.result, { text: 'denied', tone: 'error' });
    assert.equal(denied.diff, null);
  });

  it('shows an MCP or custom tool by its input, without treating it as the built-in of the same name', () => {
    const mcp = toolLine(tool('read', { file_path: 'x' }, { text: 'one\ntwo\nthree' }, { toolKind: 'mcp', server: 'fs' }), false);
    assert.equal(mcp.icon, 'plug');
    assert.equal(mcp.target, '{"file_path":"x"}');
    assert.equal(mcp.path, null, 'only built-in tools name a workspace file');
    assert.equal(mcp.result.text, '3 lines');
    assert.equal(toolLine(tool('edit', { old_string: 'a', new_string: 'b' }, { text: 'ok' }, { toolKind: 'custom' }), false).diff, null);
  });
});
