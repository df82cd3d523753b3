import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { newId, SESSION_OUTPUTS_DIR, SESSION_UPLOADS_DIR, type GitHubRepositoryResource, type ResourceParams, type SessionResource } from '../wire';
import { cloneRemote, parseRepositoryUrl, RemoteCloneError, repositoryName } from '../sandbox/repo/remote-clone';
import { SandboxSetupError } from '../sandbox/errors';
import type { SandboxMount } from '../sandbox/types';
import { credentialsFor } from '../vault/proxy/policy';
import type { Vault } from '../vault/types';
import { EGRESS_LOG } from '../vault/proxy/egress-log';
import { invalid } from './errors';
import type { RuntimeEgress } from './egress';
import { forgetRepositoryTokens, repositoriesOf, repositoryHost, repositoryTokenKey } from './repository-tokens';
import type { SessionRecord } from './session-record';

// `github_repository` session resources (reference §7.3): any git-over-HTTPS repository, cloned on the host while the
// session is created (creation blocks until resources are ready, as the reference says) and bound writable into the
// Docker sandbox at its mount path, by default /workspace/<repo name>. The clone goes through the egress proxy as the
// new session (its policy, its egress log, its credentials injected), so git never holds the token; the sandbox's
// own fetches and pushes go through the same proxy, which injects the token again. A clone that fails refuses the
// session whole: nothing of it is left (no directory, no token in the vault).
//
// On disk: <sessions>/<id>/repositories/<resource id> (staged in a `.creating-` directory beside it while cloning, so
// a crash leaves only what the creation sweep removes). The agent's commits and uncommitted changes stay there for
// the session's life; they are not part of the workspace's review (ARCHITECTURE.md, Repository resources).

type RepositoryParams = Extract<ResourceParams, { type: 'github_repository' }>;

/** Repositories checked and given ids; their tokens wait to be stored until the session is cloned. */
export interface PlannedRepositories {
  resources: GitHubRepositoryResource[];
  tokens: Map<string, string>;
}

const STAGING_SUFFIX = '.repositories';
const REPOSITORIES_DIR = 'repositories';

/** Places a mount must not cover: what the session itself owns or mounts. */
const OWNED = ['/workspace/.git', SESSION_OUTPUTS_DIR, SESSION_UPLOADS_DIR, '/mnt/skills', '/mnt/memory'];

const within = (p: string, dir: string) => p === dir || p.startsWith(`${dir}/`);

/**
 * Checks the repository resources of a session being created and gives them ids. `taken` holds the mount paths of
 * its other resources; `repoPath` is the local repository shown at /workspace, whose files a mount must not hide.
 */
export function planRepositories(params: readonly ResourceParams[], now: string, ctx: { providerKind: 'local' | 'docker'; repoPath?: string; taken: readonly SessionResource[] }): PlannedRepositories {
  const resources: GitHubRepositoryResource[] = [];
  const tokens = new Map<string, string>();
  const mounts: { path: string; what: string }[] = ctx.taken.flatMap((r) => (r.type === 'file' ? [{ path: r.mount_path, what: `file ${r.file_id}` }] : []));
  for (const [i, r] of params.entries()) {
    if (r.type !== 'github_repository') continue;
    const where = `resources[${i}]`;
    if (ctx.providerKind !== 'docker') {
      throw invalid(
        `${where}: github_repository resources need the Docker provider. The local provider runs commands on your machine without the egress proxy, so a push would need the token inside the sandbox. Use --provider docker (CLI) or set hangar.sandbox.provider to "docker" (VS Code).`,
      );
    }
    const url = checkedUrl(r, where);
    const mount = mountPath(r, url, where, ctx.repoPath);
    const clash = mounts.find((m) => within(m.path, mount) || within(mount, m.path));
    if (clash) throw invalid(`${where} mounts ${url.href} at ${mount}, which overlaps ${clash.what} at ${clash.path}; give it another mount_path.`);
    mounts.push({ path: mount, what: `repository ${url.href}` });
    const id = newId('sesrsc');
    resources.push({ id, type: 'github_repository', url: url.href, mount_path: mount, ...(r.checkout ? { checkout: r.checkout } : {}), created_at: now, updated_at: now });
    if (r.authorization_token) tokens.set(id, r.authorization_token);
  }
  return { resources, tokens };
}

function checkedUrl(r: RepositoryParams, where: string): URL {
  let url: URL;
  try {
    url = parseRepositoryUrl(r.url);
  } catch (err) {
    if (err instanceof RemoteCloneError) throw invalid(`${where}.url: ${err.message}`);
    throw err;
  }
  if (url.protocol !== 'https:') throw invalid(`${where}.url ${r.url} is plain http: the repository's token would cross the network in clear text. Use its https:// URL.`);
  return url;
}

function mountPath(r: RepositoryParams, url: URL, where: string, repoPath: string | undefined): string {
  const name = repositoryName(url);
  const p = r.mount_path ?? `/workspace/${name}`;
  const normal = path.posix.normalize(p);
  if (!p.startsWith('/') || normal !== p || p.endsWith('/')) throw invalid(`${where}.mount_path "${p}" must be an absolute, normalised directory path such as /workspace/${name}.`);
  if (!normal.startsWith('/workspace/') && !normal.startsWith('/mnt/')) throw invalid(`${where}.mount_path "${p}" must be under /workspace/ or /mnt/ (e.g. /workspace/${name}): elsewhere it would hide the sandbox's own system directories.`);
  const owned = OWNED.find((d) => within(normal, d) || within(d, normal));
  if (owned) throw invalid(`${where}.mount_path "${p}" overlaps ${owned}, which the session owns; mount the repository elsewhere, e.g. /workspace/${name}.`);
  if (repoPath && normal.startsWith('/workspace/') && existsSync(path.join(repoPath, normal.slice('/workspace/'.length)))) {
    const shown = r.mount_path === undefined || r.mount_path === null ? ` (the default, /workspace/<repo name>)` : '';
    throw invalid(`${where}.mount_path ${normal}${shown} already exists in the local repository at /workspace, and mounting there would hide its files; give the resource a mount_path that is free, e.g. /workspace/${name}-repo.`);
  }
  return normal;
}

export class RepositoryClones {
  constructor(
    private readonly sessionsDir: string,
    private readonly vault: Vault,
    private readonly egress: RuntimeEgress,
  ) {}

  private staging(sessionId: string): string {
    return path.join(this.sessionsDir, `.creating-${sessionId}${STAGING_SUFFIX}`);
  }

  /**
   * Stores the tokens and clones every repository of `record` (not yet created) into its staging directory, through
   * the egress proxy as the session. A failure names the repository and leaves nothing: no clone, no token.
   */
  async clone(record: SessionRecord, tokens: ReadonlyMap<string, string>, onProgress?: (message: string) => void): Promise<void> {
    const repos = repositoriesOf(record);
    if (repos.length === 0) return;
    const staging = this.staging(record.id);
    try {
      for (const [id, token] of tokens) await this.vault.set(repositoryTokenKey(record.id, id), token);
      await fsp.mkdir(staging, { recursive: true });
      await this.egress.asSession(record, path.join(staging, EGRESS_LOG), async (proxy) => {
        const policy = await this.egress.policyFor(record.id);
        for (const [n, r] of repos.entries()) {
          onProgress?.(`Cloning ${r.url} (${n + 1} of ${repos.length})`);
          const injected = policy !== null && credentialsFor(policy, repositoryHost(r.url)).length > 0;
          await cloneRemote({ url: r.url, checkout: r.checkout ?? undefined, dest: path.join(staging, r.id), proxy, injected }).catch((err: unknown) => {
            const index = record.resources.indexOf(r);
            if (err instanceof RemoteCloneError) throw invalid(`resources[${index}] (${r.url}): ${err.message}`, 'repository_clone_failed');
            throw err;
          });
        }
      });
    } catch (err) {
      await this.abandon(record);
      throw err;
    }
  }

  /** Moves the clones (and the clone's egress log) into the session's directory, which now exists. */
  async settle(record: SessionRecord): Promise<void> {
    if (repositoriesOf(record).length === 0) return;
    const staging = this.staging(record.id);
    const dir = path.join(this.sessionsDir, record.id);
    await fsp.mkdir(path.join(dir, REPOSITORIES_DIR), { recursive: true });
    for (const r of repositoriesOf(record)) await fsp.rename(path.join(staging, r.id), path.join(dir, REPOSITORIES_DIR, r.id));
    const log = await fsp.readFile(path.join(staging, EGRESS_LOG)).catch(() => null);
    if (log) await fsp.appendFile(path.join(dir, EGRESS_LOG), log, { mode: 0o600 });
    await fsp.rm(staging, { recursive: true, force: true });
  }

  /** Undoes a creation that failed after `clone`: the staged clones and the tokens go. */
  async abandon(record: SessionRecord): Promise<void> {
    await fsp.rm(this.staging(record.id), { recursive: true, force: true });
    await forgetRepositoryTokens(this.vault, record).catch(() => undefined);
  }

  /** The session is deleted (its directory, clones included, goes with it): its tokens go too. */
  forget(record: SessionRecord): Promise<void> {
    return forgetRepositoryTokens(this.vault, record);
  }

  /** A new token for a repository resource (reference §2.5, resources.update): the proxy uses it from the next connection. */
  async rotate(record: SessionRecord, resource: GitHubRepositoryResource, token: string): Promise<void> {
    await this.vault.set(repositoryTokenKey(record.id, resource.id), token);
  }

  /** What the sandbox binds writable: each clone at its mount path. */
  mounts(record: SessionRecord): SandboxMount[] {
    return repositoriesOf(record).map((r) => {
      const source = path.join(this.sessionsDir, record.id, REPOSITORIES_DIR, r.id);
      if (!existsSync(source)) throw new SandboxSetupError(`The clone of ${r.url} for this session is missing (${source}): its creation was cut short. Create the session again.`);
      return { source, target: r.mount_path };
    });
  }
}

/** What the model is told about the session's repositories. */
export function repositoriesNote(record: Pick<SessionRecord, 'resources'>): string {
  const repos = repositoriesOf(record).map((r) => `${r.url} at ${r.mount_path}${r.checkout ? ` (${r.checkout.type === 'branch' ? `branch ${r.checkout.name}` : `commit ${r.checkout.sha}`})` : ''}`);
  if (repos.length === 0) return '';
  return ` Git repositories cloned for this session: ${repos.join(', ')}. Commit there and \`git push\` to publish your work: the push is authorised for you; your changes to them are not part of the user's review.`;
}
