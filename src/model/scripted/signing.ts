// Thinking signatures, the way the real API uses them: opaque to the client, checkable by the server alone.
// A signature is base64(nonce ‖ HMAC(secret, kind ‖ nonce ‖ text)), so the server verifies a block it emitted
// without remembering it, and any change to the text (or the signature) fails the check.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Fixed so that any scripted server (another process, a restarted one) accepts what another one signed, as the API does. */
export const DEFAULT_SIGNING_SECRET = 'hangar-scripted-model-thinking-signatures';

const NONCE_BYTES = 16;
const MAC_BYTES = 32;
// Real signatures are a few hundred base64 characters; padding keeps clients from assuming short ones.
const PAD_BYTES = 160;

type Kind = 'thinking' | 'redacted_thinking' | 'web_search_result';

function mac(secret: string, kind: Kind, head: Buffer, text: Buffer): Buffer {
  return createHmac('sha256', secret).update(kind).update('\0').update(head).update(text).digest();
}

export class Signer {
  constructor(private readonly secret: string = DEFAULT_SIGNING_SECRET) {}

  private seal(kind: Kind, text: string): string {
    const head = randomBytes(NONCE_BYTES + PAD_BYTES);
    return Buffer.concat([head, mac(this.secret, kind, head, Buffer.from(text, 'utf8'))]).toString('base64');
  }

  private opens(kind: Kind, token: unknown, text: string): boolean {
    if (typeof token !== 'string') return false;
    const raw = Buffer.from(token, 'base64');
    // Re-encoding must give the same string: base64 decoding ignores stray characters, a signature check must not.
    if (raw.length !== NONCE_BYTES + PAD_BYTES + MAC_BYTES || raw.toString('base64') !== token) return false;
    const head = raw.subarray(0, NONCE_BYTES + PAD_BYTES);
    return timingSafeEqual(raw.subarray(NONCE_BYTES + PAD_BYTES), mac(this.secret, kind, head, Buffer.from(text, 'utf8')));
  }

  /** The `signature` of a thinking block whose (displayed) text is `thinking`. */
  signThinking(thinking: string): string {
    return this.seal('thinking', thinking);
  }

  verifyThinking(thinking: unknown, signature: unknown): boolean {
    return typeof thinking === 'string' && this.opens('thinking', signature, thinking);
  }

  /** The opaque `data` of a redacted_thinking block. */
  redactedData(): string {
    return this.seal('redacted_thinking', '');
  }

  verifyRedacted(data: unknown): boolean {
    return this.opens('redacted_thinking', data, '');
  }

  /** The `encrypted_content` of a web search result: the page text the provider keeps, bound to its URL. */
  searchResultContent(url: string): string {
    return this.seal('web_search_result', url);
  }

  verifySearchResult(url: unknown, encrypted: unknown): boolean {
    return typeof url === 'string' && this.opens('web_search_result', encrypted, url);
  }
}
