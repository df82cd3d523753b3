import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pack } from 'tar-stream';
import { freePort } from './mcp-servers';
import { tmpDir } from './tmp';

// A real OCI registry on loopback for devcontainer feature tests: Debian's `docker-registry` (the CNCF distribution
// registry), installed by scripts/setup/docker-engine.sh. Features are pushed the way `devcontainer features publish`
// does it: the folder as a tar layer of media type application/vnd.devcontainers.layer.v1+tar, an empty config of
// type application/vnd.devcontainers, and an OCI manifest, with the distribution API's upload and PUT calls.

const BIN = '/usr/bin/docker-registry';

export interface Registry {
  /** host:port, for feature ids like `${host}/features/name:1`. */
  host: string;
  push(repository: string, tag: string, files: Record<string, string>): Promise<string>;
  close(): Promise<void>;
}

/** A feature's folder as the tar `devcontainer features package` makes (entries under ./, scripts executable). */
export async function featureTar(files: Record<string, string>): Promise<Buffer> {
  const p = pack();
  for (const [name, content] of Object.entries(files)) p.entry({ name: `./${name}`, mode: name.endsWith('.sh') ? 0o755 : 0o644 }, content);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startRegistry(): Promise<Registry> {
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run scripts/setup/docker-engine.sh (it installs Debian's docker-registry)`);
  const dir = tmpDir('registry');
  const port = await freePort();
  const config = path.join(dir, 'config.yml');
  fs.writeFileSync(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, 'data')}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const proc: ChildProcess = spawn(BIN, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const base = `http://127.0.0.1:${port}`;
  const end = Date.now() + 20_000;
  for (;;) {
    const up = await fetch(`${base}/v2/`).then((r) => r.ok, () => false);
    if (up) break;
    if (Date.now() > end || proc.exitCode !== null) throw new Error(`docker-registry did not answer on ${base}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  const upload = async (repository: string, content: Buffer): Promise<string> => {
    const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
    const start = await fetch(`${base}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
    if (start.status !== 202) throw new Error(`upload start: ${start.status} ${await start.text()}`);
    const location = new URL(start.headers.get('location') ?? '', base);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, { method: 'PUT', body: new Uint8Array(content), headers: { 'Content-Type': 'application/octet-stream' } });
    if (put.status !== 201) throw new Error(`upload: ${put.status} ${await put.text()}`);
    return digest;
  };

  return {
    host: `127.0.0.1:${port}`,
    async push(repository, tag, files) {
      const layer = await featureTar(files);
      const config = Buffer.from('{}');
      const layerDigest = await upload(repository, layer);
      const configDigest = await upload(repository, config);
      const manifest = {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.devcontainers', digest: configDigest, size: config.length },
        layers: [{ mediaType: 'application/vnd.devcontainers.layer.v1+tar', digest: layerDigest, size: layer.length, annotations: { 'org.opencontainers.image.title': `${repository.split('/').pop()}.tgz` } }],
      };
      const put = await fetch(`${base}/v2/${repository}/manifests/${tag}`, { method: 'PUT', body: JSON.stringify(manifest), headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
      if (put.status !== 201) throw new Error(`manifest: ${put.status} ${await put.text()}`);
      return layerDigest;
    },
    async close() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}
