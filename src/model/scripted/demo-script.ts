// The model behind `hangar demo`: fixes the planted bug in sandbox/sample-repo (add() subtracts).
// It is driven by how many tool results the conversation holds, so it works with any tool ids and
// continues correctly when a session is woken from its log mid-way.
import type { MessageReply, RecordedRequest, RequestBlock, Responder } from './script';

export const DEMO_FILE = 'src/math.js';
export const DEMO_BUG = 'return a - b;';
export const DEMO_FIX = 'return a + b;';
export const DEMO_TEST_COMMAND = 'node test.js';

export function toolResults(req: RecordedRequest): RequestBlock[] {
  return req.body.messages.flatMap((m) =>
    m.role === 'user' && typeof m.content !== 'string' ? m.content.filter((b) => b.type === 'tool_result') : [],
  );
}

function resultText(block: RequestBlock | undefined): string {
  const content: unknown = block?.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((c: unknown) => (typeof c === 'object' && c !== null && 'text' in c ? String(c.text) : '')).join('\n');
}

const step = (text: string, name: string, input: Record<string, unknown>): MessageReply => ({
  kind: 'message',
  blocks: [
    { type: 'text', text },
    { type: 'tool_use', name, input },
  ],
});

const PLAN: readonly MessageReply[] = [
  step(`I'll start by reading \`${DEMO_FILE}\`.`, 'read', { file_path: DEMO_FILE }),
  step("Now let me run the tests to see what's failing.", 'bash', { command: DEMO_TEST_COMMAND }),
  step('`add` subtracts its arguments instead of adding them. Fixing it.', 'edit', {
    file_path: DEMO_FILE,
    old_string: DEMO_BUG,
    new_string: DEMO_FIX,
  }),
  step('Re-running the tests to confirm the fix.', 'bash', { command: DEMO_TEST_COMMAND }),
];

function summary(lastResult: RequestBlock | undefined): MessageReply {
  const output = resultText(lastResult);
  const passed = lastResult?.is_error !== true && !/FAIL/.test(output);
  const text = passed
    ? `Fixed the bug in \`${DEMO_FILE}\`: \`add\` returned \`a - b\`; it now returns \`a + b\`. \`${DEMO_TEST_COMMAND}\` passes.`
    : `I changed \`add\` in \`${DEMO_FILE}\` to return \`a + b\`, but \`${DEMO_TEST_COMMAND}\` still fails:\n\n${output.slice(0, 2000)}`;
  return { kind: 'message', blocks: [{ type: 'text', text }] };
}

export const demoResponder: Responder = (req) => {
  const results = toolResults(req);
  const next = PLAN[results.length];
  if (next) return next;
  if (results.length === PLAN.length) return summary(results.at(-1));
  return { kind: 'message', blocks: [{ type: 'text', text: 'The fix is done; nothing else to change.' }] };
};
