// The one line that says what a tool call does (the command, the file, the pattern; JSON for anything else), shared
// by the panel's tool cards and prompts and the CLI's event lines.

export interface ToolInputSummary {
  /** A symbol for the kind of call. */
  glyph: string;
  text: string;
  /** The file the call reads or writes, when it names one (the panel links it). */
  path: string | null;
}

const MAX_JSON = 160;
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

export function summarizeToolInput(name: string, input: Record<string, unknown>): ToolInputSummary {
  const path = str(input.file_path) ?? str(input.path);
  switch (name) {
    case 'bash':
      return { glyph: '$', text: str(input.command) ?? (input.restart ? '(restart shell)' : ''), path: null };
    case 'read':
    case 'write':
    case 'edit':
      return { glyph: name === 'read' ? '▤' : '✎', text: path ?? '', path };
    case 'glob':
    case 'grep':
      return { glyph: '⌕', text: `${str(input.pattern) ?? ''}${path ? `  in ${path}` : ''}`, path: null };
    case 'web_fetch':
      return { glyph: '⇣', text: str(input.url) ?? '', path: null };
    case 'web_search':
      return { glyph: '⌕', text: str(input.query) ?? '', path: null };
    default: {
      const json = JSON.stringify(input);
      return { glyph: '⚙', text: json === '{}' ? '' : json.length > MAX_JSON ? `${json.slice(0, MAX_JSON)}…` : json, path: null };
    }
  }
}
