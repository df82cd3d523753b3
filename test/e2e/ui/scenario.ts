import type { FaultReply, MessageReply, RecordedRequest } from '../../../src/model/scripted';

type RequestBlock = Exclude<RecordedRequest['body']['messages'][number]['content'], string>[number];

// What the scripted model does in the UI test, decided from each request (not a fixed list), so that it waits for
// the user where the user is slower than the model:
//   1. says what it will do and runs a check through bash that prints a line a second (always_ask: the user approves
//      it in the panel, then watches its live output);
//   2. until the user's steering message is in the conversation, keeps reading the file, a second apart, so the turn
//      is still running when the message arrives;
//   3. acknowledges the steering and rewrites src/math.js, fixing add() and neg() (two hunks far apart);
//   4. sums up.

export const TASK = 'Fix add() and neg() in src/math.js';
export const STEER = 'Keep the change small, please';
export const FIRST_WORDS = 'I will check the environment first';
export const ACK = `Understood: "${STEER}".`;
export const DONE = 'Done: add() adds and neg() negates.';
/** The approval suite's task: a bash call that comes once the suite has put the session out of sight, then a one-line answer. */
export const APPROVAL_TASK = 'Print a greeting';
export const APPROVED = 'Greeted the user.';
/** The keyboard suite's task: a rate-limited first request (one retried error card), an always_ask bash call, then three edits. */
export const KEYBOARD_TASK = 'Comment the functions in src/math.js';
export const KEYBOARD_DONE = 'Commented add(), mul() and neg().';
/** One comment line above each function: three hunks, at lines 1, 6 and 11 of the agent's copy. */
export const KEYBOARD_EDITS = [
  { old_string: 'export function add(a, b) {', new_string: '// Adds a and b.\nexport function add(a, b) {' },
  { old_string: 'export function mul(a, b) {', new_string: '// Multiplies a and b.\nexport function mul(a, b) {' },
  { old_string: 'export function neg(a) {', new_string: '// Negates a.\nexport function neg(a) {' },
];
let keyboardRateLimited = false;
let outOfSight: () => void = () => undefined;
const approvalMayAsk = new Promise<void>((resolve) => (outOfSight = resolve));
/**
 * The approval suite calls this once the session's chat is out of sight: only then does the model ask, so the question
 * is always raised as a notification, however long the UI took to close the side bar.
 */
export function sessionOutOfSight(): void {
  outOfSight();
}
/** Prints a line a second, so the panel shows its live output while it runs. */
export const CHECK_COMMAND = 'for i in 1 2 3; do echo "checking step $i of 3"; sleep 1; done; echo environment-ready';

export const FIXED_JS = ['export function add(a, b) {', '  return a + b;', '}', '', 'export function mul(a, b) {', '  return a + b;', '}', '', 'export function neg(a) {', '  return -a;', '}', ''].join('\n');
/** The workspace file after accepting the first hunk (add) and rejecting the second (neg). */
export const AFTER_REVIEW = ['export function add(a, b) {', '  return a + b;', '}', '', 'export function mul(a, b) {', '  return a + b;', '}', '', 'export function neg(a) {', '  return a;', '}', ''].join('\n');

function blocks(req: RecordedRequest, role: 'user' | 'assistant'): RequestBlock[] {
  return req.body.messages.flatMap((m) => (m.role === role && typeof m.content !== 'string' ? m.content : []));
}

const usedTool = (req: RecordedRequest, name: string) => blocks(req, 'assistant').some((b) => b.type === 'tool_use' && b.name === name);

export function steered(req: RecordedRequest): boolean {
  return blocks(req, 'user').some((b) => b.type === 'text' && typeof b.text === 'string' && b.text.includes(STEER));
}

export function uiResponder(req: RecordedRequest): MessageReply | FaultReply | Promise<MessageReply> {
  const step = (text: string, name: string, input: Record<string, unknown>, delay = 0): MessageReply => ({
    kind: 'message',
    blocks: [
      { type: 'text', text },
      { type: 'tool_use', name, input },
    ],
    ...(delay ? { delay_ms: delay } : {}),
  });
  if (blocks(req, 'user').some((b) => b.type === 'text' && b.text === APPROVAL_TASK)) {
    // Asks once the suite has put the session out of sight.
    return usedTool(req, 'bash') ? { kind: 'message', blocks: [{ type: 'text', text: APPROVED }] } : approvalMayAsk.then(() => step('I will print it.', 'bash', { command: 'echo hello' }));
  }
  if (blocks(req, 'user').some((b) => b.type === 'text' && b.text === KEYBOARD_TASK)) return keyboardReply(req);
  if (!usedTool(req, 'bash')) return step(`${FIRST_WORDS}, then fix the two functions.`, 'bash', { command: CHECK_COMMAND });
  if (!steered(req)) return step('Reading the file again while the environment settles.', 'read', { file_path: 'src/math.js' }, 1000);
  if (!usedTool(req, 'write')) return step(`${ACK} Only add() and neg() change.`, 'write', { file_path: 'src/math.js', content: FIXED_JS });
  return { kind: 'message', blocks: [{ type: 'text', text: `${DONE} Review the two hunks in **src/math.js**.` }] };
}

function keyboardReply(req: RecordedRequest): MessageReply | FaultReply {
  if (!keyboardRateLimited) {
    keyboardRateLimited = true;
    return { kind: 'fault', fault: 'rate_limit', retry_after_s: 2 };
  }
  if (!usedTool(req, 'bash')) return { kind: 'message', blocks: [{ type: 'text', text: 'I will check the file compiles first.' }, { type: 'tool_use', name: 'bash', input: { command: 'node --check src/math.js && echo ok' } }] };
  if (!usedTool(req, 'edit')) {
    const edits = KEYBOARD_EDITS.map((input) => ({ type: 'tool_use' as const, name: 'edit', input: { file_path: 'src/math.js', ...input } }));
    return { kind: 'message', blocks: [{ type: 'text', text: 'Adding one comment line above each function.' }, ...edits] };
  }
  return { kind: 'message', blocks: [{ type: 'text', text: KEYBOARD_DONE }] };
}
