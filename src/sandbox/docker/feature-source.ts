import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import * as z from 'zod';
import { DevcontainerError } from './errors';

// Where a devcontainer feature's files come from, by the form of its id (containers.dev/implementors/features-distribution):
// a folder next to devcontainer.json (`./name`), a tarball URL (`https://…/devcontainer-feature-name.tgz`), or an
// OCI artifact (`registry/namespace/name[:tag|@sha256:…]`) fetched with the OCI distribution API, its one
// `application/vnd.devcontainers.layer.v1+tar` layer holding the folder. Fetching happens on the host, like pulling
// the devcontainer's image; the feature's install script runs later in the build container, under the session's
// egress policy. Registries on loopback are spoken to over plain HTTP (as the Docker engine treats 127.0.0.0/8);
// every other registry over HTTPS.

export interface FeatureFile {
  /** Path inside the feature's folder, '/'-separated, without a leading './'. */
  name: string;
  mode: number;
  content: Buffer;
}

export type FeatureSourceKind = 'local' | 'oci' | 'tarball';

export interface FetchedFeature {
  kind: FeatureSourceKind;
  /** What installsAfter/dependsOn of other features are matched against: the resource without tag, or the folder. */
  resource: string;
  files: FeatureFile[];
  /** sha256 of the files (local) or of the artifact (OCI layer digest, tarball bytes): part of the image's cache key. */
  digest: string;
}

const OciManifest = z.object({ layers: z.array(z.object({ mediaType: z.string(), digest: z.string() })) });
const LAYER_MEDIA_TYPE = 'application/vnd.devcontainers.layer.v1+tar';
const MAX_ARTIFACT_BYTES = 64 * 1024 * 1024;
const TIMEOUT_MS = 60_000;

export function featureKind(id: string): FeatureSourceKind {
  if (id.startsWith('./') || id.startsWith('../')) return 'local';
  if (/^https?:\/\//.test(id)) return 'tarball';
  return 'oci';
}

/** `dir` is the folder of devcontainer.json; `repo` the repository a local feature must stay inside. */
export async function fetchFeature(id: string, dir: string, repo: string): Promise<FetchedFeature> {
  switch (featureKind(id)) {
    case 'local':
      return localFeature(id, dir, repo);
    case 'tarball':
      return tarballFeature(id);
    case 'oci':
      return ociFeature(id);
  }
}

async function localFeature(id: string, dir: string, repo: string): Promise<FetchedFeature> {
  const [root, folder] = await Promise.all([fs.realpath(repo), fs.realpath(path.resolve(dir, id)).catch(() => null)]);
  if (folder === null) throw new DevcontainerError(`the local feature ${id} does not exist: it is a folder next to devcontainer.json holding devcontainer-feature.json and install.sh`);
  if (folder !== root && !folder.startsWith(root + path.sep)) {
    throw new DevcontainerError(`the local feature ${id} resolves to ${folder}, outside the repository ${root}: a feature may only be read from inside the repository`);
  }
  const files: FeatureFile[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await fs.readdir(path.join(folder, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(child);
      else if (entry.isFile()) {
        const abs = path.join(folder, child);
        files.push({ name: child, mode: (await fs.stat(abs)).mode & 0o777, content: await fs.readFile(abs) });
      } else throw new DevcontainerError(`the local feature ${id} holds ${child}, which is not a regular file or folder (links are not followed)`);
    }
  };
  await walk('');
  files.sort((a, b) => a.name.localeCompare(b.name));
  const h = createHash('sha256');
  for (const f of files) h.update(`${f.name}\0${f.mode}\0${f.content.length}\0`).update(f.content);
  return { kind: 'local', resource: folder, files, digest: `sha256:${h.digest('hex')}` };
}

async function tarballFeature(url: string): Promise<FetchedFeature> {
  const u = new URL(url);
  if (u.protocol === 'http:' && !isLoopback(u.hostname)) throw new DevcontainerError(`the feature ${url} is fetched over plain HTTP; use https:// (plain HTTP is accepted for loopback only)`);
  const body = await download(url, {}, `the feature tarball ${url}`);
  return { kind: 'tarball', resource: url, files: await untar(body, url), digest: `sha256:${createHash('sha256').update(body).digest('hex')}` };
}

export interface OciRef {
  registry: string;
  repository: string;
  reference: string;
}

/** `registry/namespace/name[:tag|@digest]`, the tag `latest` when none is given. */
export function parseOciRef(id: string): OciRef {
  const at = id.indexOf('@');
  const name = at >= 0 ? id.slice(0, at) : id;
  const slash = name.indexOf('/');
  const registry = name.slice(0, Math.max(slash, 0));
  const rest = name.slice(slash + 1);
  const colon = rest.lastIndexOf(':');
  const repository = at >= 0 || colon < 0 ? rest : rest.slice(0, colon);
  const reference = at >= 0 ? id.slice(at + 1) : colon >= 0 ? rest.slice(colon + 1) : 'latest';
  const valid = slash > 0 && (registry.includes('.') || registry.includes(':') || registry === 'localhost') && /^[a-z0-9]+(?:[._/-][a-z0-9]+)*$/.test(repository) && /^[\w.:-]+$/.test(reference);
  if (!valid) throw new DevcontainerError(`the feature id ${JSON.stringify(id)} is neither a local folder (./name), a tarball URL (https://…) nor an OCI reference (registry/namespace/name:version)`);
  return { registry, repository, reference };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '[::1]' || host === '::1';
}

async function ociFeature(id: string): Promise<FetchedFeature> {
  const ref = parseOciRef(id);
  const host = ref.registry.replace(/:\d+$/, '');
  const base = `${isLoopback(host) ? 'http' : 'https'}://${ref.registry}/v2/${ref.repository}`;
  const auth: Record<string, string> = {};
  const manifestText = (await download(`${base}/manifests/${ref.reference}`, { Accept: 'application/vnd.oci.image.manifest.v1+json' }, `the feature ${id}`, auth, ref)).toString('utf8');
  let layers: Array<{ mediaType: string; digest: string }>;
  try {
    layers = OciManifest.parse(JSON.parse(manifestText)).layers;
  } catch {
    throw new DevcontainerError(`the registry's answer for the feature ${id} is not an OCI manifest: ${manifestText.slice(0, 200)}`);
  }
  const layer = layers.find((l) => l.mediaType === LAYER_MEDIA_TYPE);
  if (!layer || !/^sha256:[0-9a-f]{64}$/.test(layer.digest)) {
    throw new DevcontainerError(`${id} is not a devcontainer feature: its manifest has no ${LAYER_MEDIA_TYPE} layer`);
  }
  const blob = await download(`${base}/blobs/${layer.digest}`, {}, `the feature ${id}`, auth, ref);
  const actual = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
  if (actual !== layer.digest) throw new DevcontainerError(`the feature ${id} downloaded with digest ${actual}, not the manifest's ${layer.digest}`);
  return { kind: 'oci', resource: `${ref.registry}/${ref.repository}`, files: await untar(blob, id), digest: layer.digest };
}

/**
 * GETs `url`; a 401 that offers a Bearer challenge (every public registry, ghcr.io included, wants an anonymous
 * token) is answered once with a token from the realm it names, kept in `auth` for the next request.
 */
async function download(url: string, headers: Record<string, string>, what: string, auth: Record<string, string> = {}, ref?: OciRef): Promise<Buffer> {
  const get = (extra: Record<string, string>) => fetch(url, { headers: { ...headers, ...extra }, redirect: 'follow', signal: AbortSignal.timeout(TIMEOUT_MS) });
  let res: Response;
  try {
    res = await get(auth);
    const challenge = res.headers.get('www-authenticate');
    if (res.status === 401 && ref && challenge?.startsWith('Bearer ')) {
      auth.Authorization = `Bearer ${await bearerToken(challenge, ref)}`;
      res = await get(auth);
    }
  } catch (err) {
    throw new DevcontainerError(`fetching ${what} from ${new URL(url).host} failed: ${err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err)}`);
  }
  if (!res.ok) throw new DevcontainerError(`fetching ${what} failed: ${url} answered ${res.status} ${res.statusText}`);
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > MAX_ARTIFACT_BYTES) throw new DevcontainerError(`${what} is ${length} bytes, more than the ${MAX_ARTIFACT_BYTES} a feature may have`);
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > MAX_ARTIFACT_BYTES) throw new DevcontainerError(`${what} is more than the ${MAX_ARTIFACT_BYTES} bytes a feature may have`);
  return body;
}

async function bearerToken(challenge: string, ref: OciRef): Promise<string> {
  const params = Object.fromEntries([...challenge.slice('Bearer '.length).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  if (!params.realm) throw new Error(`the registry's challenge names no realm: ${challenge}`);
  const token = new URL(params.realm);
  if (params.service) token.searchParams.set('service', params.service);
  token.searchParams.set('scope', params.scope ?? `repository:${ref.repository}:pull`);
  const res = await fetch(token, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!res.ok) throw new Error(`the registry refused an anonymous token (${res.status} ${res.statusText}); private registries are not supported`);
  const body = (await res.json()) as { token?: string; access_token?: string };
  const value = body.token ?? body.access_token;
  if (!value) throw new Error('the registry gave no token');
  return value;
}

/** The files of a (possibly gzipped) tar, refusing links and paths that climb out of the feature's folder. */
async function untar(data: Buffer, what: string): Promise<FeatureFile[]> {
  const tar = data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data, { maxOutputLength: MAX_ARTIFACT_BYTES }) : data;
  const files: FeatureFile[] = [];
  await new Promise<void>((resolve, reject) => {
    const ex = extract();
    ex.on('entry', (header, stream, next) => {
      const name = path.posix.normalize(header.name).replace(/^(\.\/)+/, '').replace(/\/$/, '');
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        if (header.type === 'file' && name !== '.') {
          if (name.startsWith('../') || name.startsWith('/')) return reject(new DevcontainerError(`the feature ${what} holds ${header.name}, outside its folder`));
          files.push({ name, mode: (header.mode ?? 0o644) & 0o777, content: Buffer.concat(chunks) });
        } else if (header.type !== 'directory') return reject(new DevcontainerError(`the feature ${what} holds ${header.name}, a ${header.type}: features may hold files and folders only`));
        next();
      });
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', (err: Error) => reject(new DevcontainerError(`the feature ${what} is not a tar archive: ${err.message}`)));
    Readable.from([tar]).pipe(ex);
  });
  return files.sort((a, b) => a.name.localeCompare(b.name));
}
