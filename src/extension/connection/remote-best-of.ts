import type Anthropic from '@anthropic-ai/sdk';
import { BestOfStarted, CompareList, type BestOfParams, type CompareRow } from '../../wire/best-of';
import { parseWire, type RemoteCall } from './remote-call';
import type { RuntimeBestOf } from './runtime-best-of';

// Best-of-N over a detached runtime: Hangar's /v1/best_of endpoints (src/api/best-of.ts), outside the SDK's types,
// through its raw get/post; the answers are read with the wire's schemas.

export class RemoteBestOf implements RuntimeBestOf {
  constructor(
    private readonly sdk: Anthropic,
    private readonly call: RemoteCall,
  ) {}

  async start(params: BestOfParams): Promise<string[]> {
    return parseWire(BestOfStarted, await this.call(() => this.sdk.post('/v1/best_of', { body: params })), 'a best-of start').session_ids;
  }

  async compare(sessionIds: readonly string[]): Promise<CompareRow[]> {
    return parseWire(CompareList, await this.call(() => this.sdk.get('/v1/best_of/compare', { query: { session_ids: [...sessionIds] } })), 'a comparison').data;
  }
}
