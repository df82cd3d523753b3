// The models behind `hangar demo --multi`: a coordinator ("lead") splits the sample repository's work between two
// sub-agents that run at the same time: "fixer" fixes the planted bug (the single-agent demo's script) and
// "documenter" writes docs for src/math.js. Each script is driven by the conversation it is sent (tool results, the
// sub-agents' answers), so it works with any ids and continues correctly when a session is woken mid-way.
import { byAgent } from './by-agent';
import { demoResponder, DEMO_FILE, toolResults } from './demo-script';
import type { MessageReply, RecordedRequest, Responder } from './script';

export const DEMO_MULTI_AGENTS = { lead: 'lead', fixer: 'fixer', documenter: 'documenter' } as const;
export const DEMO_DOC_FILE = 'docs/math.md';
/** A sub-agent's "model" takes this long per request, so the two visibly work at the same time. */
const SUB_AGENT_LATENCY_MS = 400;

const FIXER_DONE = 'Fixed the bug';
const DOCUMENTER_DONE = `Documented add, multiply and clamp in \`${DEMO_DOC_FILE}\`.`;

const DOC = `# src/math.js

- \`add(a, b)\`: the sum of \`a\` and \`b\`.
- \`multiply(a, b)\`: the product of \`a\` and \`b\`.
- \`clamp(value, min, max)\`: \`value\` limited to the range \`min\`..\`max\`.
`;

function conversation(req: RecordedRequest): string {
  return JSON.stringify(req.body.messages);
}

const lead: Responder = (req) => {
  const text = conversation(req);
  if (toolResults(req).length === 0) {
    return {
      kind: 'message',
      blocks: [
        { type: 'text', text: 'Two independent jobs: I will have `fixer` fix the failing tests and `documenter` document the module, in parallel.' },
        { type: 'tool_use', name: 'send_to_agent', input: { agent: DEMO_MULTI_AGENTS.fixer, message: `The tests fail (node test.js). Find the bug in ${DEMO_FILE}, fix it and run the tests.` } },
        { type: 'tool_use', name: 'send_to_agent', input: { agent: DEMO_MULTI_AGENTS.documenter, message: `Write ${DEMO_DOC_FILE}: one line per exported function of ${DEMO_FILE}.` } },
      ],
    };
  }
  const fixed = text.includes(FIXER_DONE);
  const documented = text.includes('Documented add');
  if (fixed && documented) return { kind: 'message', blocks: [{ type: 'text', text: `Both sub-agents are done: \`add\` is fixed and the tests pass, and ${DEMO_DOC_FILE} documents the module.` }] };
  return { kind: 'message', blocks: [{ type: 'text', text: fixed || documented ? 'One answer is in; waiting for the other sub-agent.' : 'Both sub-agents are working; I will wait for their answers.' }] };
};

const documenter: Responder = (req) => {
  const done = toolResults(req).length;
  const steps: MessageReply[] = [
    { kind: 'message', blocks: [{ type: 'text', text: `Reading \`${DEMO_FILE}\` to see what it exports.` }, { type: 'tool_use', name: 'read', input: { file_path: DEMO_FILE } }] },
    { kind: 'message', blocks: [{ type: 'text', text: `Writing \`${DEMO_DOC_FILE}\`.` }, { type: 'tool_use', name: 'write', input: { file_path: DEMO_DOC_FILE, content: DOC } }] },
  ];
  return steps[done] ?? { kind: 'message', blocks: [{ type: 'text', text: DOCUMENTER_DONE }] };
};

const slow =
  (responder: Responder): Responder =>
  async (req) => ({ ...(await responder(req)), delay_ms: SUB_AGENT_LATENCY_MS });

export const demoMultiResponder: Responder = byAgent({
  [DEMO_MULTI_AGENTS.lead]: lead,
  [DEMO_MULTI_AGENTS.fixer]: slow(demoResponder),
  [DEMO_MULTI_AGENTS.documenter]: slow(documenter),
});
