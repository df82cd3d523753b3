import type { LocalRepositoryResource, SessionResource } from './session';

// Type-only imports: the CLI's start-up chunk uses this without loading zod.

/** The local repository a session works on (its sandbox's /workspace), if it has one. */
export function sessionRepository(resources: readonly SessionResource[]): LocalRepositoryResource | undefined {
  return resources.find((r): r is LocalRepositoryResource => r.type === 'local_repository');
}
