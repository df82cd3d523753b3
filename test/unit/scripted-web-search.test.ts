import assert from 'node:assert/strict';
import Anthropic, { BadRequestError, InternalServerError } from '@anthropic-ai/sdk';
import type { ContentBlock, ContentBlockParam, MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import { reply, startScriptedModel, type ScriptedModel } from '../../src/model/scripted';

// The scripted model plays Anthropic's server-side web search (a server_tool_use block and its
// web_search_tool_result, streamed as the API streams them) and, like the API, refuses a later request whose copy of
// those blocks was changed: a result's encrypted_content no longer matching its URL, or a search without its result.

const SEARCH_TOOL = { type: 'web_search_20250305' as const, name: 'web_search' as const };
const SEARCH = { type: 'web_search' as const, query: 'hangar doors', results: [{ url: 'https://docs.example.org/hangars', title: 'Hangars explained' }] };

describe('scripted model: server-side web search', () => {
  let model: ScriptedModel | undefined;
  afterEach(async () => {
    await model?.close();
    model = undefined;
  });

  async function played(): Promise<{ client: Anthropic; content: ContentBlock[] }> {
    model = await startScriptedModel({ script: [{ kind: 'message', blocks: [SEARCH, { type: 'text', text: 'They slide.' }] }, reply.text('ok'), reply.text('ok')] });
    const client = new Anthropic({ apiKey: 'test', baseURL: model.url, maxRetries: 0, logLevel: 'off' });
    const content = (await client.messages.stream(params([])).finalMessage()).content;
    return { client, content };
  }

  const params = (assistant: ContentBlockParam[]): MessageCreateParamsNonStreaming => ({
    model: 'claude-sonnet-5-5',
    max_tokens: 1024,
    tools: [SEARCH_TOOL],
    messages: assistant.length === 0 ? [{ role: 'user', content: 'doors?' }] : [{ role: 'user', content: 'doors?' }, { role: 'assistant', content: assistant }, { role: 'user', content: 'thanks' }],
  });

  it('streams server_tool_use and web_search_tool_result, and serves the blocks sent back unmodified', async () => {
    const { client, content } = await played();
    assert.deepEqual(content.map((b) => b.type), ['server_tool_use', 'web_search_tool_result', 'text']);
    const [use, result] = content as [Anthropic.ServerToolUseBlock, Anthropic.WebSearchToolResultBlock];
    assert.match(use.id, /^srvtoolu_01/);
    assert.deepEqual(use.input, { query: 'hangar doors' });
    assert.equal(result.tool_use_id, use.id);
    assert.ok(Array.isArray(result.content) && result.content[0]?.url === 'https://docs.example.org/hangars');
    const back = content as unknown as ContentBlockParam[];
    assert.equal((await client.messages.stream(params(back)).finalMessage()).content[0]?.type, 'text');
  });

  it('refuses a changed encrypted_content and a search without its result', async () => {
    const { client, content } = await played();
    const [use, result, text] = content as unknown as [ContentBlockParam, Anthropic.WebSearchToolResultBlockParam, ContentBlockParam];
    const results = result.content as Anthropic.WebSearchResultBlockParam[];
    const forged = { ...result, content: [{ ...results[0]!, url: 'https://evil.example/' }] };
    await assert.rejects(client.messages.stream(params([use, forged, text])).finalMessage(), (e: unknown) => e instanceof BadRequestError && /Invalid `encrypted_content`/.test(e.message));
    await assert.rejects(client.messages.stream(params([use, text])).finalMessage(), (e: unknown) => e instanceof BadRequestError && /without `web_search_tool_result` blocks/.test(e.message));
  });

  it('fails a script that searches when the request offers no search tool', async () => {
    model = await startScriptedModel({ script: [{ kind: 'message', blocks: [SEARCH] }] });
    const client = new Anthropic({ apiKey: 'test', baseURL: model.url, maxRetries: 0, logLevel: 'off' });
    await assert.rejects(
      client.messages.stream({ model: 'claude-sonnet-5-5', max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }] }).finalMessage(),
      (e: unknown) => e instanceof InternalServerError && /does not offer the web_search_20250305 tool/.test(e.message),
    );
  });
});
