// The ten tool calls a benchmark session makes before its closing text: a mix of shell, reads, writes and searches,
// the same for every bench that times whole sessions (the concurrency bench, the extension host's), so their per-turn
// numbers are comparable. `grep` is a word the bench's workspace holds and `source` one of its source files.
export function tenToolCalls(workspace: { grep: string; source: string }): [string, Record<string, unknown>][] {
  return [
    ['bash', { command: 'ls' }],
    ['read', { file_path: 'README.md' }],
    ['write', { file_path: 'notes.txt', content: 'first\n' }],
    ['bash', { command: 'cat notes.txt' }],
    ['edit', { file_path: 'notes.txt', old_string: 'first', new_string: 'second' }],
    ['glob', { pattern: '**/*.js' }],
    ['grep', { pattern: workspace.grep }],
    ['read', { file_path: workspace.source }],
    ['bash', { command: 'echo done > out.txt' }],
    ['read', { file_path: 'notes.txt' }],
  ];
}
