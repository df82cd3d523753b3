import type Anthropic from '@anthropic-ai/sdk';
import type { ModelConfig, ResolvedModel } from '../wire';
import type { ModelError } from '../model/types';

// What a request asks of the model besides the conversation: output limit, thinking and effort, from the agent's
// model config and the catalogue. When the model refuses the thinking or effort parameters anyway (a catalogue that
// is out of date, a proxy in between), the session says so once and continues without them.

export const DEFAULT_MAX_TOKENS = 32_000;
const MIN_BUDGET = 1_024;

export interface Fallbacks {
  thinking: boolean;
  effort: boolean;
}

export interface RequestSettings {
  maxTokens: number;
  thinking?: Anthropic.ThinkingConfigParam;
  outputConfig?: Anthropic.OutputConfig;
}

export function requestSettings(config: ModelConfig, spec: ResolvedModel, maxTokens: number | undefined, fallbacks: Fallbacks): RequestSettings {
  const max = Math.min(maxTokens ?? DEFAULT_MAX_TOKENS, spec.maxOutputTokens);
  const out: RequestSettings = { maxTokens: max };
  if (!fallbacks.thinking) {
    const thinking = thinkingParam(config.thinking, spec, max);
    if (thinking) out.thinking = thinking;
  }
  const effort = config.effort?.type;
  if (effort && !fallbacks.effort && spec.efforts.includes(effort)) out.outputConfig = { effort };
  return out;
}

function thinkingParam(wanted: ModelConfig['thinking'], spec: ResolvedModel, max: number): Anthropic.ThinkingConfigParam | undefined {
  if (spec.thinking === 'none') return undefined;
  if (wanted?.type === 'disabled') return spec.thinking === 'adaptive_always' ? undefined : { type: 'disabled' };
  if (spec.thinking === 'budget') {
    const budget = Math.min(wanted?.type === 'enabled' ? wanted.budget_tokens : Math.floor(max / 2), max - 1);
    return budget >= MIN_BUDGET ? { type: 'enabled', budget_tokens: budget } : undefined;
  }
  // Summarised thinking: the surfaces may show it folded; the API needs the blocks back either way.
  return { type: 'adaptive', display: 'summarized' };
}

/** Which parameter a 400 refused, when it names thinking or effort (so the request can be retried without it). */
export function refusedParameter(err: ModelError, settings: RequestSettings): keyof Fallbacks | null {
  if (err.kind !== 'invalid_request') return null;
  const text = err.message.toLowerCase();
  if (settings.outputConfig && text.includes('effort')) return 'effort';
  if (settings.thinking && text.includes('thinking') && !text.includes('signature') && !/messages\.\d+/.test(text)) return 'thinking';
  return null;
}
