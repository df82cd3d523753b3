import assert from 'node:assert/strict';
import { DEFAULT_LIMITS, toOutcome } from '../../../src/mcp';

const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const none = (t: string) => t;

describe('mcp content: results to tool result blocks', () => {
  it('maps text, images and isError', () => {
    const out = toOutcome({ content: [{ type: 'text', text: 'hi' }, { type: 'image', data: PNG_1PX, mimeType: 'image/png' }], isError: true }, DEFAULT_LIMITS, none);
    assert.equal(out.is_error, true);
    assert.deepEqual(out.content, [
      { type: 'text', text: 'hi' },
      { type: 'image', source: { type: 'base64', data: PNG_1PX, media_type: 'image/png' } },
    ]);
  });

  it('turns images the API would refuse into notices', () => {
    const out = toOutcome(
      {
        content: [
          { type: 'image', data: PNG_1PX, mimeType: 'image/tiff' },
          { type: 'image', data: 'not base64!!', mimeType: 'image/png' },
        ],
      },
      DEFAULT_LIMITS,
      none,
    );
    assert.deepEqual(out.content.map((b) => b.type), ['text', 'text']);
    assert.match(JSON.stringify(out.content), /image\/tiff.*only PNG, JPEG, GIF and WebP/);
    assert.match(JSON.stringify(out.content), /not valid base64/);
  });

  it('keeps images within the byte budget', () => {
    const out = toOutcome({ content: [{ type: 'image', data: PNG_1PX, mimeType: 'image/png' }, { type: 'image', data: PNG_1PX, mimeType: 'image/png' }] }, { ...DEFAULT_LIMITS, maxImageBytes: 80 }, none);
    assert.deepEqual(out.content.map((b) => b.type), ['image', 'text']);
    assert.match(JSON.stringify(out.content[1]), /image budget/);
  });

  it('shows embedded text resources and resource links, and omits binary and audio', () => {
    const out = toOutcome(
      {
        content: [
          { type: 'resource', resource: { uri: 'file:///a.txt', mimeType: 'text/plain', text: 'resource body' } },
          { type: 'resource', resource: { uri: 'file:///a.zip', mimeType: 'application/zip', blob: 'AAAA' } },
          { type: 'resource_link', uri: 'file:///b.md', name: 'b.md' },
          { type: 'audio', data: 'AAAA', mimeType: 'audio/wav' },
        ],
      },
      DEFAULT_LIMITS,
      none,
    );
    const text = JSON.stringify(out.content);
    assert.match(text, /file:\/\/\/a\.txt.*resource body/);
    assert.match(text, /application\/zip.*omitted/);
    assert.match(text, /resource link: b\.md file:\/\/\/b\.md/);
    assert.match(text, /audio\/wav.*omitted/);
    assert.ok(out.content.every((b) => b.type === 'text'));
  });

  it('uses structuredContent when there is no text, and says so when there is no content at all', () => {
    assert.deepEqual(toOutcome({ content: [], structuredContent: { n: 1 } }, DEFAULT_LIMITS, none).content, [{ type: 'text', text: '{\n  "n": 1\n}' }]);
    assert.deepEqual(toOutcome({ content: [] }, DEFAULT_LIMITS, none).content, [{ type: 'text', text: '(the tool returned no content)' }]);
  });

  it('caps text over all blocks and says how much there was', () => {
    const out = toOutcome({ content: [{ type: 'text', text: 'a'.repeat(80) }, { type: 'text', text: 'b'.repeat(80) }, { type: 'text', text: 'c'.repeat(10) }] }, { ...DEFAULT_LIMITS, maxTextChars: 100 }, none);
    const texts = out.content.map((b) => (b.type === 'text' ? b.text : ''));
    assert.equal(texts[0], 'a'.repeat(80));
    assert.match(texts[1]!, /characters cut/);
    assert.equal(texts.length, 3, 'the third block is dropped, the notice added');
    assert.match(texts[2]!, /170 characters of text; it was cut to 100/);
  });

  it('redacts every text it passes on', () => {
    const out = toOutcome(
      { content: [{ type: 'text', text: 'token=SECRET' }, { type: 'resource', resource: { uri: 'x:', text: 'SECRET again' } }] },
      DEFAULT_LIMITS,
      (t) => t.split('SECRET').join('[redacted]'),
    );
    assert.ok(!JSON.stringify(out).includes('SECRET'));
  });
});
