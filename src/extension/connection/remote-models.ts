import type Anthropic from '@anthropic-ai/sdk';
import { ModelProviderList, ModelProviderModels, ModelProviderView } from '../../wire/model-provider-api';
import { parseWire, type RemoteCall } from './remote-call';
import { credentialTransportProblem } from './remote-vaults';
import type { RuntimeModels } from './runtime-models';

// Model providers over a detached runtime: Hangar's /v1/model_providers endpoints (src/api/model-providers.ts) through
// the SDK's raw requests, answers parsed with the wire's schemas. A key goes only over TLS or to loopback.

export class RemoteModels implements RuntimeModels {
  constructor(
    private readonly sdk: Anthropic,
    private readonly call: RemoteCall,
    private readonly where: string,
  ) {}

  async providers(): Promise<ModelProviderView[]> {
    return parseWire(ModelProviderList, await this.call(() => this.sdk.get('/v1/model_providers')), "the runtime's model providers").data;
  }

  async models(name: string, fresh = false): Promise<ModelProviderModels> {
    const raw: unknown = await this.call(() => this.sdk.get(`${providerPath(name)}/models`, fresh ? { query: { fresh: 'true' } } : {}));
    return parseWire(ModelProviderModels, raw, `the models of ${name}`);
  }

  async setKey(name: string, key: string): Promise<ModelProviderView> {
    const problem = credentialTransportProblem(this.where);
    if (problem) throw new Error(problem);
    return parseWire(ModelProviderView, await this.call(() => this.sdk.post(`${providerPath(name)}/key`, { body: { api_key: key } })), 'a model provider');
  }
}

function providerPath(name: string): string {
  return `/v1/model_providers/${encodeURIComponent(name)}`;
}
