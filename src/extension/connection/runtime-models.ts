import type { Runtime } from '../../runtime';
import { providerModels, providerViews, setProviderKey } from '../../runtime/provider-views';
import { unknownProviderProblem } from '../../wire';
import type { ModelProviderModels, ModelProviderView } from '../../wire/model-provider-api';

// Model providers behind the RuntimeClient seam: the providers the runtime routes agents' models to (the model
// picker, Test Connection) and a configured provider's key. In-process they are this window's (hangar.modelProviders,
// keys in SecretStorage, which is the runtime's vault); over a detached runtime they are that runtime's
// (its model-providers.json), and a key set here goes into its vault (remote-models.ts).

export interface RuntimeModels {
  providers(): Promise<ModelProviderView[]>;
  /** A provider's models (kept a minute by the runtime; `fresh` asks the provider again). */
  models(name: string, fresh?: boolean): Promise<ModelProviderModels>;
  /** Gives a configured provider its key where the runtime's provider client reads it. */
  setKey(name: string, key: string): Promise<ModelProviderView>;
}

/** Why an agent on this runtime cannot name the model (a provider prefix the runtime does not route), or null. */
export async function unknownProvider(models: RuntimeModels, modelId: string): Promise<string | null> {
  const configured = (await models.providers()).filter((p) => !p.builtin).map((p) => p.name);
  return unknownProviderProblem(modelId, configured);
}

export class LocalModels implements RuntimeModels {
  constructor(private readonly runtime: Runtime) {}

  providers(): Promise<ModelProviderView[]> {
    return providerViews(this.runtime.modelProviders, this.runtime.vault);
  }

  models(name: string, fresh = false): Promise<ModelProviderModels> {
    return providerModels(this.runtime.modelProviders, this.runtime.vault, name, fresh);
  }

  setKey(name: string, key: string): Promise<ModelProviderView> {
    return setProviderKey(this.runtime.modelProviders, this.runtime.vault, name, key);
  }
}
