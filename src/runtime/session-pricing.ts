import type { ModelCatalog, ResolvedModel, SessionEvent } from '../wire';

/**
 * How a session's model requests are priced: a sub-agent thread's with its own model (named on its span end), every
 * other with the session agent's, so the session's cost is the sum of its threads'.
 */
export function sessionPricing(catalog: ModelCatalog, agentModel: string): (e: SessionEvent) => ResolvedModel {
  const own = catalog.lookup(agentModel);
  return (e) => (e._hangar?.model ? catalog.lookup(e._hangar.model) : own);
}
