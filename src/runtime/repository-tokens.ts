import type { GitHubRepositoryResource } from '../wire';
import type { ProxyCredential } from '../vault/proxy/policy';
import type { Vault } from '../vault/types';
import type { SessionRecord } from './session-record';

// The authorization_token of a repository resource lives in the Vault (so the scrubber knows it too), never in the
// session record. The egress proxy injects it for the repository's host: the host-side clone and the sandbox's own
// fetches and pushes send no credential of their own (ARCHITECTURE.md invariant 5).

export const repositoryTokenKey = (sessionId: string, resourceId: string) => `session-repository/${sessionId}/${resourceId}`;

/** The host a repository URL names, as the proxy matches hosts (lower case, IPv6 without brackets). */
export function repositoryHost(url: string): string {
  return new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
}

/** The header the proxy sets for a repository token: Basic x-access-token (what GitHub, GitLab and Gitea take). */
export function repositoryAuthorization(token: string): string {
  return `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
}

export const repositoriesOf = (record: Pick<SessionRecord, 'resources'>): GitHubRepositoryResource[] =>
  record.resources.filter((r): r is GitHubRepositoryResource => r.type === 'github_repository');

/** The hosts a session's repositories open in its egress policy, and the credentials of those with a token. */
export async function repositoryCredentials(vault: Vault, record: Pick<SessionRecord, 'id' | 'resources'>): Promise<{ hosts: string[]; credentials: ProxyCredential[] }> {
  const hosts: string[] = [];
  const credentials: ProxyCredential[] = [];
  for (const r of repositoriesOf(record)) {
    const host = repositoryHost(r.url);
    if (!hosts.includes(host)) hosts.push(host);
    const token = await vault.get(repositoryTokenKey(record.id, r.id));
    if (token) credentials.push({ id: r.id, hosts: [host], secret: token, injection: { kind: 'header', name: 'Authorization', value: repositoryAuthorization(token) } });
  }
  return { hosts, credentials };
}

/** Forgets the tokens of a session's repositories (the session is deleted, or its creation failed). */
export async function forgetRepositoryTokens(vault: Vault, record: Pick<SessionRecord, 'id' | 'resources'>): Promise<void> {
  for (const r of repositoriesOf(record)) await vault.delete(repositoryTokenKey(record.id, r.id));
}
