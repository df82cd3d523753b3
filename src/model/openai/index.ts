export { createOpenAiCompatibleClient, type OpenAiCompatibleOptions } from './client';
export type { MaxTokensField } from './request';
