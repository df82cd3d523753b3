import type { LocalRepositoryResource, SessionResource } from './session';

// Type-only imports: the CLI's start-up chunk uses this without loading zod.

/** The local repository a session works on (its sandbox's /workspace), if it has one. */
export function sessionRepository(resources: readonly SessionResource[]): LocalRepositoryResource | undefined {
  return resources.find((r): r is LocalRepositoryResource => r.type === 'local_repository');
}

/**
 * Where the client that started the session has the repository: its own path for a workspace it uploaded to a
 * runtime on another machine, else the runtime's (the same directory). Review applies the changes there.
 */
export function sessionWorkspacePath(resources: readonly SessionResource[]): string | undefined {
  const repo = sessionRepository(resources);
  return repo && (repo.upload?.client_path ?? repo.path);
}
