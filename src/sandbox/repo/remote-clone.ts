import { rm } from 'node:fs/promises';
import { git, GitError, isolatedGitEnv } from './git';

// Cloning a repository resource (`github_repository`: any git-over-HTTPS URL) on the host, never in the sandbox. The
// token reaches git only through environment config (GIT_CONFIG_COUNT: an `Authorization` header), so it is in no
// file of the clone, no argument list and no remote URL; or not at all, when the egress proxy injects the
// credential for the host (the clone then goes through the proxy like the sandbox's own pushes).

export type RepositoryCheckout = { type: 'branch'; name: string } | { type: 'commit'; sha: string };

export interface RemoteCloneOptions {
  url: string;
  /** The repository's token, sent as `Authorization: Basic x-access-token:<token>` (what GitHub and most hosts take). */
  token?: string;
  checkout?: RepositoryCheckout;
  /** Where the clone goes; removed again when the clone fails, so nothing half-made is left. */
  dest: string;
  /** An HTTP proxy for the clone (the egress proxy) and the CA file its TLS interception is trusted with. */
  proxy?: { url: string; caFile: string };
  /** The proxy injects a credential for this host: a refusal then means that credential is wrong, not missing. */
  injected?: boolean;
  /** Extra trust for the server's certificate (tests with their own CA). */
  caFile?: string;
}

export class RemoteCloneError extends Error {}

const SHA = /^[0-9a-f]{7,64}$/i;

/** The URL as a clone takes it, or an error that says what is wrong with it. Credentials in the URL are refused. */
export function parseRepositoryUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RemoteCloneError(`${JSON.stringify(raw)} is not a URL: a repository resource needs an https:// URL such as https://github.com/owner/repo.git`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RemoteCloneError(`${raw} is not an http(s) URL: repositories are cloned over HTTPS (git over ssh or file paths are not supported)`);
  if (url.username || url.password) throw new RemoteCloneError(`${url.protocol}//${url.host}${url.pathname} carries credentials in the URL: give the token as authorization_token instead, so it never reaches the sandbox`);
  if (url.search || url.hash) throw new RemoteCloneError(`${raw} has a query or fragment, which a git URL does not`);
  if (url.pathname.replace(/\/+$/, '') === '') throw new RemoteCloneError(`${raw} names no repository path`);
  return url;
}

/** The repository's name from its URL (`https://host/owner/repo.git` → `repo`): the default mount is /workspace/<name>. */
export function repositoryName(url: URL): string {
  const last = url.pathname.replace(/\/+$/, '').split('/').pop() ?? '';
  return decodeURIComponent(last).replace(/\.git$/, '') || url.hostname;
}

function configEnv(pairs: [string, string][]): Record<string, string> {
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(pairs.length) };
  pairs.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  return env;
}

/** What went wrong, in words, from git's stderr. */
function explain(err: GitError, opts: RemoteCloneOptions, url: URL): string {
  const where = `${url.origin}${url.pathname}`;
  const s = err.stderr;
  if (opts.proxy && /returned error: 403/.test(s)) {
    return `${where} was refused through the egress proxy (403): ${url.hostname} is not on the environment's allowed_hosts, or its credential has no access to this repository (the session's egress log says which)`;
  }
  if (/HTTP Basic: Access denied|Authentication failed|could not read Username|returned error: 40[13]|terminal prompts disabled/i.test(s)) {
    return opts.token || opts.injected
      ? `${where} refused the credentials (wrong or expired authorization_token, or one without access to this repository)`
      : `${where} asks for credentials: give the resource an authorization_token (or a vault credential for ${url.hostname})`;
  }
  if (/Remote branch .* not found|couldn't find remote ref/i.test(s) && opts.checkout?.type === 'branch') return `${where} has no branch ${JSON.stringify(opts.checkout.name)}`;
  if (/returned error: 404|repository .* not found|not found: did you run git update-server-info/i.test(s)) return `${where} is not a git repository (404)`;
  if (/Could not resolve host|Failed to connect|Connection refused|timed out/i.test(s)) return `${where} cannot be reached (${s.trim().split('\n').pop()})`;
  return `cloning ${where} failed: ${s.trim().split('\n').slice(-2).join(' ')}`;
}

/** Clones `opts.url` into `opts.dest` at the requested branch or commit (default: the remote's HEAD). */
export async function cloneRemote(opts: RemoteCloneOptions): Promise<void> {
  const url = parseRepositoryUrl(opts.url);
  if (opts.checkout?.type === 'commit' && !SHA.test(opts.checkout.sha)) throw new RemoteCloneError(`checkout.sha ${JSON.stringify(opts.checkout.sha)} is not a commit id (7-64 hex digits)`);
  const config: [string, string][] = [['credential.helper', ''], ['core.askPass', ''], ['protocol.allow', 'never'], ['protocol.https.allow', 'always'], ['protocol.http.allow', 'always']];
  if (opts.token) config.push(['http.extraHeader', `Authorization: Basic ${Buffer.from(`x-access-token:${opts.token}`).toString('base64')}`]);
  if (opts.proxy) config.push(['http.proxy', opts.proxy.url], ['http.sslCAInfo', opts.proxy.caFile]);
  else if (opts.caFile) config.push(['http.sslCAInfo', opts.caFile]);
  const env = isolatedGitEnv({ ...configEnv(config), GIT_ASKPASS: '', SSH_ASKPASS: '' });
  const branch = opts.checkout?.type === 'branch' ? ['--branch', opts.checkout.name] : [];
  const noCheckout = opts.checkout?.type === 'commit' ? ['--no-checkout'] : [];
  try {
    await git(['clone', '-q', ...branch, ...noCheckout, '--', url.href, opts.dest], { env });
    if (opts.checkout?.type === 'commit') {
      const sha = opts.checkout.sha;
      const found = await git(['rev-parse', '--verify', '-q', `${sha}^{commit}`], { cwd: opts.dest, env }).then(
        (b) => b.toString('utf8').trim(),
        () => null,
      );
      if (!found) throw new RemoteCloneError(`${url.origin}${url.pathname} has no commit ${sha}`);
      await git(['checkout', '-q', '--detach', found], { cwd: opts.dest, env });
    }
  } catch (err) {
    await rm(opts.dest, { recursive: true, force: true });
    if (err instanceof GitError) throw new RemoteCloneError(explain(err, opts, url));
    throw err;
  }
}
