import * as z from 'zod';
import { lazySchema } from './lazy';
import { Timestamp } from './common';

// A `github_repository` session resource (reference §7.3; the SDK's BetaManagedAgentsGitHubRepositoryResourceParams):
// any git-over-HTTPS repository, cloned for the session and mounted by default at /workspace/<repo name>. The token
// is write-only: it is in the request, never in a response, a record or an event.

export const RepositoryCheckout = lazySchema(() => z.discriminatedUnion('type', [
  z.object({ type: z.literal('branch'), name: z.string().min(1, 'checkout.name must name a branch, e.g. {"type":"branch","name":"main"}') }),
  z.object({ type: z.literal('commit'), sha: z.string().regex(/^[0-9a-fA-F]{7,64}$/, 'checkout.sha must be a commit id (hex digits, the full SHA as `git rev-parse HEAD` prints it)') }),
]));
export type RepositoryCheckout = z.infer<typeof RepositoryCheckout>;

export const GitHubRepositoryParams = lazySchema(() => z.object({
  type: z.literal('github_repository'),
  url: z.string({ error: "url is required: the repository's https:// URL, e.g. https://github.com/owner/repo.git" }).min(1, "url must be the repository's https:// URL, e.g. https://github.com/owner/repo.git"),
  authorization_token: z.string().min(1, 'authorization_token must not be empty: leave it out for a public repository').optional(),
  checkout: RepositoryCheckout.nullish(),
  mount_path: z.string().min(1).nullish(),
}));
export type GitHubRepositoryParams = z.infer<typeof GitHubRepositoryParams>;

export const GitHubRepositoryResource = lazySchema(() => z.object({
  id: z.string(),
  type: z.literal('github_repository'),
  url: z.string(),
  mount_path: z.string(),
  checkout: RepositoryCheckout.nullish(),
  created_at: Timestamp,
  updated_at: Timestamp,
}));
export type GitHubRepositoryResource = z.infer<typeof GitHubRepositoryResource>;

/** The body of a resource update (reference §2.5): a new token for a repository resource. */
export const RepositoryTokenUpdate = lazySchema(() => z.strictObject({ authorization_token: z.string().min(1, 'authorization_token must be the new token') }));
