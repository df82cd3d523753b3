import { byAgent, reply, type RecordedRequest, type Reply, type Responder } from '../../../src/model/scripted';

// A coordinator that defines a sub-agent itself (an inline agent) next to a roster agent, for the API test and the
// crash test of inline threads. Every script decides from the request alone, so a runtime that wakes the session
// after a cut gets the replies the first one would have got.

/** What the coordinator defines: a linter that may only write, under its own prompt. */
export const LINTER = {
  name: 'linter',
  system: 'You lint the code.',
  tools: [{ type: 'agent_toolset_20260401', default_config: { enabled: false }, configs: [{ name: 'write', enabled: true }] }],
};
/** A definition the coordinator's bash (always_ask) refuses: it would run bash without asking. */
export const LOOSE = { name: 'loose', tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_allow' } }] }] };
export const ALL_DONE = 'Linter and writer are done.';

const text = (r: RecordedRequest) => JSON.stringify(r.body.messages);

/** Starts what it has not started yet (a definition refused once is not tried again), then waits for both answers. */
function lead(r: RecordedRequest): Reply {
  const seen = text(r);
  const calls = [
    ...(seen.includes('agent \\"linter\\" is working on it') ? [] : [{ inline_agent: LINTER, message: 'Lint the code' }]),
    ...(seen.includes('agent \\"writer\\" is working on it') ? [] : [{ agent: 'writer', message: 'Write a.txt' }]),
    ...(seen.includes('inline_agent:') ? [] : [{ inline_agent: LOOSE, message: 'Run the tests' }]),
  ];
  if (calls.length > 0) return { kind: 'message', blocks: calls.map((input) => ({ type: 'tool_use' as const, name: 'send_to_agent', input })) };
  return reply.text(seen.includes('linted') && seen.includes('wrote a') ? ALL_DONE : 'Waiting for the agents.');
}

const oneWrite = (file: string, answer: string) => (r: RecordedRequest): Reply => (text(r).includes('"tool_result"') ? reply.text(answer) : reply.tool('write', { file_path: file, content: `${file}\n` }));

export function inlineScript(): Responder {
  return byAgent({ lead, linter: oneWrite('lint.txt', 'linted'), writer: oneWrite('a.txt', 'wrote a') });
}

/** The coordinator with bash asking, predefined `writer` and inline agents enabled (the multiagent_20261001 form). */
export const leadParams = (writerId: string) => ({
  name: 'lead',
  tools: [{ type: 'agent_toolset_20260401' as const, configs: [{ name: 'bash' as const, permission_policy: { type: 'always_ask' as const } }] }],
  multiagent: { type: 'multiagent_20261001' as const, subagents: { type: 'enabled' as const, inline_agents: { type: 'enabled' as const }, predefined_agents: [writerId] } },
});
