import * as z from 'zod';

// Inputs of the sandbox-side built-in tools (managed-agents-api.md §5.3). Objects are strict: a misspelt key
// (`path` for `file_path`, `view_rage`) is reported instead of silently ignored.

export const MAX_BASH_TIMEOUT_MS = 600_000;

const relPath = (what: string) =>
  z
    .string()
    .min(1, 'must not be empty')
    .describe(`${what}, relative to the workspace root (an absolute path must lie inside the root)`);

export const BashInput = z
  .strictObject({
    command: z.string().min(1, 'must not be empty').optional().describe('The bash command to run.'),
    restart: z.boolean().optional().describe('Kill the shell and start a fresh one (cwd = workspace root, clean environment) before running command.'),
    timeout_ms: z
      .number()
      .int()
      .min(1)
      .max(MAX_BASH_TIMEOUT_MS, `must be at most ${MAX_BASH_TIMEOUT_MS} (10 minutes)`)
      .optional()
      .describe(`Timeout in milliseconds (max ${MAX_BASH_TIMEOUT_MS}); on timeout the command and its child processes are killed.`),
  })
  .refine((v) => v.command !== undefined || v.restart === true, {
    message: 'give `command` (a string), or `restart: true` to only restart the shell',
    path: ['command'],
  });

export const ReadInput = z.strictObject({
  file_path: relPath('The file to read'),
  view_range: z
    .array(z.number().int())
    .length(2, 'must be [start_line, end_line]')
    .refine((r) => (r[0] ?? 0) >= 1, 'start_line is 1-based and must be >= 1')
    .refine((r) => (r[1] ?? 0) <= 0 || (r[1] ?? 0) >= (r[0] ?? 0), 'end_line must be >= start_line, or <= 0 for the end of the file')
    .optional()
    .describe('[start_line, end_line], 1-based and inclusive; end_line <= 0 reads to the end of the file.'),
});

export const WriteInput = z.strictObject({
  file_path: relPath('The file to write'),
  content: z.string().describe('The complete new content of the file.'),
});

export const EditInput = z
  .strictObject({
    file_path: relPath('The file to edit'),
    old_string: z
      .string()
      .min(1, 'must not be empty; use write to create a file or replace its whole content')
      .describe('The exact text to replace, including whitespace and indentation.'),
    new_string: z.string().describe('The replacement text.'),
    replace_all: z.boolean().optional().describe('Replace every occurrence instead of requiring exactly one.'),
  })
  .refine((v) => v.old_string !== v.new_string, {
    message: 'old_string and new_string are identical; there is nothing to change',
    path: ['new_string'],
  });

export const GlobInput = z.strictObject({
  pattern: z.string().min(1, 'must not be empty').describe('Glob pattern with ** for any depth, e.g. "src/**/*.ts" or "*.{json,md}".'),
  path: relPath('Directory to search in').optional().describe('Directory to search in, relative to the workspace root; defaults to the root.'),
});

export const GrepInput = z.strictObject({
  pattern: z.string().min(1, 'must not be empty').describe('Regular expression (ripgrep syntax) to search file contents for.'),
  path: relPath('File or directory to search').optional().describe('File or directory to search, relative to the workspace root; defaults to the root.'),
});

export type BashInput = z.infer<typeof BashInput>;
export type ReadInput = z.infer<typeof ReadInput>;
export type WriteInput = z.infer<typeof WriteInput>;
export type EditInput = z.infer<typeof EditInput>;
export type GlobInput = z.infer<typeof GlobInput>;
export type GrepInput = z.infer<typeof GrepInput>;

/** The built-in tools a sandbox runs; web_fetch and web_search run host-side and are defined elsewhere. */
export const SANDBOX_TOOL_NAMES = ['bash', 'read', 'write', 'edit', 'glob', 'grep'] as const;
export type SandboxToolName = (typeof SANDBOX_TOOL_NAMES)[number];

export const TOOL_INPUTS = {
  bash: BashInput,
  read: ReadInput,
  write: WriteInput,
  edit: EditInput,
  glob: GlobInput,
  grep: GrepInput,
} as const satisfies Record<SandboxToolName, z.ZodType>;

/** One-line signatures, quoted in validation errors so the model sees what was expected. */
export const TOOL_SIGNATURES: Record<SandboxToolName, string> = {
  bash: '{command: string, timeout_ms?: integer <= 600000} or {restart: true, command?: string}',
  read: '{file_path: string, view_range?: [start_line, end_line]}',
  write: '{file_path: string, content: string}',
  edit: '{file_path: string, old_string: string, new_string: string, replace_all?: boolean}',
  glob: '{pattern: string, path?: string}',
  grep: '{pattern: string, path?: string}',
};

export function isSandboxToolName(name: string): name is SandboxToolName {
  return (SANDBOX_TOOL_NAMES as readonly string[]).includes(name);
}

const DESCRIPTIONS: Record<SandboxToolName, string> = {
  bash:
    'Run a command in a persistent bash shell whose working directory starts at the workspace root. The current ' +
    'directory and exported variables persist between calls. stdout and stderr are merged; stdin is /dev/null, so ' +
    'interactive programs get EOF. Long output keeps its beginning and end with a notice of what was cut. A non-zero ' +
    'exit code is reported as "[exit code N]". Default timeout 120 s (timeout_ms up to 600000); on timeout the ' +
    'command and its child processes are killed and the shell comes back in the same directory. restart: true ' +
    'starts a fresh shell.',
  read:
    'Read a text file, returned with line numbers (cat -n style: number, tab, line). Paths are relative to the ' +
    'workspace root. Returns at most 2000 lines or 256 KiB per call with a notice of how to continue; use ' +
    'view_range [start, end] (1-based, inclusive, end <= 0 = end of file) for other parts. Lines longer than 2000 ' +
    'characters are shortened. PNG, JPEG, GIF and WebP images come back as images; other binary files are refused. ' +
    'Use glob to list directories.',
  write:
    'Create or overwrite a file with the given content, creating missing parent directories. Paths are relative to ' +
    'the workspace root. Prefer edit for changing part of an existing file.',
  edit:
    'Replace an exact string in a file. old_string must match the file exactly (whitespace and indentation ' +
    'included, without the line-number prefix that read shows) and occur exactly once unless replace_all is true. ' +
    "The file's line endings and permissions are kept. Paths are relative to the workspace root.",
  glob:
    'Find files by glob pattern (** matches any depth, {a,b} alternatives), searched under path (default: the ' +
    'workspace root). Returns paths relative to the workspace root, most recently modified first, at most 1000. ' +
    '.git and node_modules are skipped unless the pattern names them.',
  grep:
    'Search file contents for a regular expression (ripgrep syntax) under path (default: the workspace root). ' +
    'Prints "path:line:text" per matching line, paths relative to the workspace root, sorted by path. Skips ' +
    'binary, hidden and git-ignored files. Long output is cut with a notice; narrow the pattern or path then.',
};

export interface ToolDefinition {
  name: SandboxToolName;
  description: string;
  input_schema: { type: 'object'; [key: string]: unknown };
}

function inputSchema(schema: z.ZodType): ToolDefinition['input_schema'] {
  const json = z.toJSONSchema(schema, {
    io: 'input',
    // z.number().int() adds ±MAX_SAFE_INTEGER bounds that only cost the model tokens.
    override: ({ jsonSchema }) => {
      if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
    },
  }) as Record<string, unknown>;
  delete json.$schema;
  return { ...json, type: 'object' };
}

/** Frozen all the way down: one schema object is shared by every request of every session. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

// Every model request carries the tool definitions; converting the zod schemas each time was a visible part of a
// turn's CPU with 20 sessions on one loop (issue #17). They never change, so each is converted once.
const schemas = new Map<SandboxToolName, ToolDefinition['input_schema']>();

/** Definitions handed to the model for the given tools, in the given order; their input schemas are shared and frozen. */
export function builtinToolDefinitions(names: readonly SandboxToolName[] = SANDBOX_TOOL_NAMES): ToolDefinition[] {
  return names.map((name) => {
    let schema = schemas.get(name);
    if (!schema) schemas.set(name, (schema = deepFreeze(inputSchema(TOOL_INPUTS[name]))));
    return { name, description: DESCRIPTIONS[name], input_schema: schema };
  });
}
