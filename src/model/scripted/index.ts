export { startScriptedModel, type ScriptedModel, type ScriptedModelOptions } from './server';
export { startScriptedOpenAiModel, type ScriptedOpenAiModel, type ScriptedOpenAiModelOptions, type RecordedChatRequest } from './openai-server';
export type { OllamaModel } from './ollama-api';
export {
  BlockSchema,
  ReplySchema,
  MessagesRequestSchema,
  EXHAUSTED_TEXT,
  parseReplies,
  reply,
  type Block,
  type Reply,
  type MessageReply,
  type FaultReply,
  type FaultKind,
  type StopReason,
  type Refusal,
  type UsageOverride,
  type MessagesRequest,
  type RecordedRequest,
  type RejectedRequest,
  type Responder,
} from './script';
export { demoResponder, DEMO_BUG, DEMO_FILE, DEMO_FIX, DEMO_TEST_COMMAND } from './demo-script';
export { demoMultiResponder, DEMO_MULTI_AGENTS, DEMO_DOC_FILE } from './demo-multi-script';
export { Signer, DEFAULT_SIGNING_SECRET } from './signing';
export { byAgent, agentOf, delegating, DELEGATION_DONE, isGrader, withGrader } from './by-agent';
