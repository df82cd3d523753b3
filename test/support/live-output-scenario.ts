import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { reply } from '../../src/model/scripted';
import { DEFAULT_MODEL } from '../../src/model/types';
import type { SandboxProvider } from '../../src/sandbox/types';
import { MemoryVault } from '../../src/vault/memory';
import { PREVIEW_LINE_CHARS, PREVIEW_LINES } from '../../src/tools/live-output';
import type { SessionEvent, StreamPreview, ToolOutputPreview } from '../../src/wire';
import type { ModelApi } from './model-apis';
import { makeTestRuntime, type TestRuntime } from './runtime';

// Live tool output end to end (issue #12 §4), the same for every sandbox provider: a command that prints lines slowly
// shows them as previews before its result; previews are never logged; a secret the command prints (whole, or in
// two halves with a pause between) never shows in a preview; the result is complete and persisted. A second command
// floods 50 MB and then binary: its previews stay a few short lines, and binary output is flagged, not shown.

const SECRET = 'sk-live-canary-7c1d9e2f4a6b8c0d';
const HALF = SECRET.length / 2;

// Lines with pauses, the secret from a file, then the secret printed in two halves with a pause in the middle.
const COMMAND = [
  'for i in 1 2 3 4 5; do echo "line $i"; sleep 0.4; done',
  'cat .env',
  `printf 'split=%s' '${SECRET.slice(0, HALF)}'`,
  'sleep 0.8',
  `printf '%s\\n' '${SECRET.slice(HALF)}'`,
  'sleep 0.4',
  'echo finished',
].join('; ');
const FLOOD = `yes 'flood line, long enough to be capped ${'x'.repeat(300)}' | head -c 50000000; sleep 0.5; printf 'bin\\000\\001\\002'; sleep 0.5`;

export interface Timeline {
  /** Events and previews in the order a subscriber got them. */
  entries: ({ kind: 'event'; event: SessionEvent } | { kind: 'preview'; preview: StreamPreview })[];
  sessionId: string;
  t: TestRuntime;
}

export async function runLiveOutputSession(provider?: (storage: string) => SandboxProvider, timeoutMs = 60_000, api: ModelApi = 'anthropic'): Promise<Timeline> {
  const t = await makeTestRuntime({
    api,
    provider,
    repoFiles: { '.env': `TOKEN=${SECRET}\n`, 'README.md': '# x\n' },
    script: [reply.tool('bash', { command: COMMAND }), reply.tool('bash', { command: FLOOD }), reply.text('done')],
    runtime: { vault: new MemoryVault({ leaked: SECRET }) },
  });
  const agent = await t.runtime.agents.create({ name: 'tester', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }] });
  const s = await t.runtime.sessions.create({ agent: agent.id, environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] });
  const entries: Timeline['entries'] = [];
  let onIdle: () => void = () => undefined;
  const idle = new Promise<void>((resolve) => (onIdle = resolve));
  const off = await t.runtime.sessions.subscribe(
    s.id,
    0,
    (event) => {
      entries.push({ kind: 'event', event });
      if (event.type === 'session.status_idle') onIdle();
    },
    (preview) => entries.push({ kind: 'preview', preview }),
  );
  await t.runtime.sessions.send(s.id, [{ type: 'user.message', content: [{ type: 'text', text: 'print slowly' }] }]);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([idle, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the session did not go idle')), timeoutMs)))]);
  } finally {
    clearTimeout(timer);
    off();
  }
  return { entries, sessionId: s.id, t };
}

const resultText = (e: SessionEvent | undefined): string => (e?.type === 'agent.tool_result' ? (e.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('') : '');

/** Every assertion of the scenario, for the timeline of one provider. */
export async function checkLiveOutput({ entries, sessionId, t }: Timeline): Promise<void> {
  const resultAt = entries.findIndex((x) => x.kind === 'event' && x.event.type === 'agent.tool_result');
  const floodResultAt = entries.findIndex((x, i) => i > resultAt && x.kind === 'event' && x.event.type === 'agent.tool_result');
  assert.ok(resultAt > 0, 'the call has a result');
  const result = (entries[resultAt] as { event: SessionEvent }).event;
  assert.ok(result.type === 'agent.tool_result');
  const toolUse = entries.find((x) => x.kind === 'event' && x.event.type === 'agent.tool_use');
  const allPreviews = entries.flatMap((x, i) => (x.kind === 'preview' && x.preview.type === 'tool_output' ? [{ i, p: x.preview as ToolOutputPreview }] : []));
  const previews = allPreviews.filter(({ i }) => i < resultAt);
  const flood = allPreviews.filter(({ i }) => i > resultAt);

  // Live: previews came before the result, the first while the loop was still printing.
  assert.ok(previews.length >= 2, `previews: ${previews.length}`);
  assert.ok(previews.every(({ p }) => p.tool_use_id === result.tool_use_id && toolUse?.kind === 'event' && p.tool_use_id === toolUse.event.id));
  assert.ok(previews.some(({ p }) => p.tail.includes('line 1') && !p.tail.includes('line 5')), 'a preview showed the first lines before the last was printed');
  assert.ok(previews.some(({ p }) => /TOKEN=\[REDACTED:leaked\]/.test(p.tail)), 'the printed secret shows redacted in a preview');
  assert.ok(previews.every(({ p }, k) => k === 0 || p.bytes >= (previews[k - 1] as { p: ToolOutputPreview }).p.bytes), 'bytes only grow');

  // Scrubbed: no preview holds the secret or either half of it (the first half was on screen alone for 0.8 s).
  for (const { p } of previews) {
    assert.ok(!p.tail.includes(SECRET.slice(0, HALF)) && !p.tail.includes(SECRET.slice(HALF)), `a preview leaked part of the secret: ${p.tail}`);
  }

  // The flood: bounded previews (a few capped lines each), binary flagged and not shown, all before its result.
  assert.ok(floodResultAt > resultAt && flood.length > 0 && flood.every(({ i }) => i < floodResultAt));
  for (const { p } of flood) {
    const lines = p.tail.split('\n');
    assert.ok(lines.length <= PREVIEW_LINES && lines.every((l) => l.length <= PREVIEW_LINE_CHARS), `an unbounded preview: ${p.tail.length} characters`);
  }
  assert.ok(flood.some(({ p }) => p.tail.startsWith('flood line') && p.tail.endsWith('…')), 'long lines are capped');
  assert.ok(flood.some(({ p }) => p.binary && p.tail === '' && p.bytes > 50_000_000), 'binary output is flagged, not shown');
  assert.match(resultText((entries[floodResultAt] as { event: SessionEvent }).event), /binary output/);

  // The result is complete and scrubbed.
  const text = resultText(result);
  assert.equal(text, ['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'TOKEN=[REDACTED:leaked]', 'split=[REDACTED:leaked]', 'finished'].join('\n'));

  // Previews are not persisted: not in the list, not in the file; the result is.
  const listed = (await t.runtime.sessions.listEvents(sessionId, { limit: 1000 })).data;
  assert.ok(listed.some((e) => e.type === 'agent.tool_result' && resultText(e) === text));
  assert.ok(!listed.some((e) => (e.type as string) === 'tool_output'));
  const onDisk = readFileSync(path.join(t.storage, 'sessions', sessionId, 'events.jsonl'), 'utf8');
  // (The halves are in the logged command itself; the whole secret is nowhere.)
  assert.ok(!onDisk.includes('tool_output') && !onDisk.includes(SECRET));
  assert.equal(onDisk.split('\n').filter((l) => l.includes('"agent.tool_result"')).length, 2, 'one result per call');
}
