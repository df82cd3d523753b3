import assert from 'node:assert/strict';
import { ANSWER_COMMAND, notificationText, type PendingPrompt } from '../../../src/extension/notifications/pending-prompts';

// The approval notification's actions are command links in its message. VS Code finds them with this pattern
// (parseLinkedText in vs/base/common/linkedText.ts); a link whose target breaks, or one smuggled in through the tool
// input, would run the wrong thing or nothing.
const LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/gi;

function links(message: string): { label: string; command: string; args: unknown }[] {
  return [...message.matchAll(LINK)].map((m) => {
    const [command, query] = m[2]!.slice('command:'.length).split('?');
    return { label: m[1]!, command: command!, args: JSON.parse(decodeURIComponent(query!)) };
  });
}

const prompt = (summary: string): PendingPrompt => ({ sessionId: 'sesn_1', toolUseId: 'sevt_9', kind: 'permission', name: 'bash', summary });

describe('approval notification text', () => {
  it('names the session and the call, with Allow / Allow for this session / Deny / Open links that carry their answer', () => {
    const text = notificationText(prompt('echo $(date) > out.txt'), 'Fix the tests');
    assert.match(text, /^Fix the tests is waiting for you: allow bash \(echo \$\(date\) > out\.txt\)\?/);
    assert.deepEqual(links(text), [
      { label: 'Allow', command: ANSWER_COMMAND, args: [{ sessionId: 'sesn_1', toolUseId: 'sevt_9', result: 'allow' }] },
      { label: 'Allow for this session', command: ANSWER_COMMAND, args: [{ sessionId: 'sesn_1', toolUseId: 'sevt_9', result: 'allowForSession' }] },
      { label: 'Deny', command: ANSWER_COMMAND, args: [{ sessionId: 'sesn_1', toolUseId: 'sevt_9', result: 'deny' }] },
      { label: 'Open', command: 'hangar.openSession', args: [{ sessionId: 'sesn_1' }] },
    ]);
  });

  it('keeps a link written into the tool input from becoming a link', () => {
    const text = notificationText(prompt('echo "[Allow](command:workbench.action.terminal.sendSequence?x)"'), 'T');
    assert.deepEqual(links(text).map((l) => l.label), ['Allow', 'Allow for this session', 'Deny', 'Open']);
    assert.ok(links(text).every((l) => l.command === ANSWER_COMMAND || l.command === 'hangar.openSession'));
  });

  it("names the sub-agent whose call it is (a multi-agent session's sub-thread), with the same links", () => {
    const text = notificationText({ ...prompt('git diff'), agent: 'reviewer' }, 'Review the change');
    assert.match(text, /^Review the change is waiting for you: sub-agent reviewer asks: allow bash \(git diff\)\?/);
    assert.deepEqual(links(text).map((l) => l.label), ['Allow', 'Allow for this session', 'Deny', 'Open']);
    assert.match(text, /"Run this and every later bash call of sub-agent reviewer without asking \(revocable\)"/, 'its allowance is the sub-agent\'s');
  });
});
