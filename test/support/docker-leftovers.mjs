// The Hangar sandboxes (Docker containers and volumes) a test run made, known by its host paths: an overlay volume's
// options name its layer dirs, a container mounts such a volume or binds a dir of the run. Everything under `dir`
// is the run's; other runs on the same engine (other people, other checkouts) have other dirs and are never listed.
// Used by the mocha runs (docker-leaks.ts) and the VS Code drivers (test/e2e/workbench.mjs).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';

const docker = (args) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
const listed = (args) => docker(args).split('\n').filter(Boolean);

function inspect(kind, ids) {
  if (ids.length === 0) return [];
  // One gone between the listing and the inspect (another run's cleanup) fails the inspect; the rest still print.
  try {
    return JSON.parse(docker([kind, 'inspect', ...ids]));
  } catch (err) {
    return err.stdout ? JSON.parse(err.stdout) : [];
  }
}

/** Does the engine answer? Without one there is nothing to list. */
export function engineAnswers() {
  try {
    docker(['version', '--format', '{{.Server.Version}}']);
    return true;
  } catch {
    return false;
  }
}

const rootKey = (root) => createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 8);
const overlayDirs = (v) => [...(v.Options?.o ?? '').matchAll(/(?:lowerdir|upperdir|workdir)=([^,]+)/g)].map((m) => m[1]);

/** The containers and volumes of `dir` still in the engine: { kind, id, what, createdAt (ms) }, containers first. */
export function sandboxesUnder(dir) {
  const under = (p) => p === dir || p.startsWith(`${dir}/`);
  const volumes = inspect('volume', listed(['volume', 'ls', '-q', '--filter', 'label=dev.hangar.managed']));
  const containers = inspect('container', listed(['ps', '-aq', '--filter', 'label=dev.hangar.managed']));
  // A plain (copy mode) volume names no path, only its root's key: the roots are known from the overlay volumes.
  const roots = new Set(volumes.flatMap((v) => overlayDirs(v).filter(under).map((d) => rootKey(d.replace(/\/layers\/[^/]+\/[^/]+$/, '')))));
  const ours = new Set(volumes.filter((v) => overlayDirs(v).some(under) || (!v.Options?.o && roots.has(v.Labels?.['dev.hangar.root']))).map((v) => v.Name));
  const left = [];
  for (const c of containers) {
    if (!c.Mounts.some((m) => (m.Type === 'bind' && under(m.Source)) || (m.Name !== undefined && ours.has(m.Name)))) continue;
    const l = c.Config.Labels ?? {};
    left.push({ kind: 'container', id: c.Id, what: `${c.Name.slice(1)} (session ${l['dev.hangar.session']}, layer ${l['dev.hangar.layer']})`, createdAt: Date.parse(c.Created) });
  }
  for (const v of volumes) {
    if (!ours.has(v.Name)) continue;
    const dirs = overlayDirs(v);
    left.push({ kind: 'volume', id: v.Name, what: `${v.Name} (session ${v.Labels?.['dev.hangar.session']}, ${dirs.length ? `dirs ${dirs[1] ?? dirs[0]}` : 'copy mode'})`, createdAt: Date.parse(v.CreatedAt) });
  }
  return left;
}

/** Removes what sandboxesUnder listed (containers before the volumes they hold). */
export function removeSandboxObjects(left) {
  for (const l of left) {
    try {
      docker(l.kind === 'container' ? ['rm', '-f', l.id] : ['volume', 'rm', '-f', l.id]);
    } catch (err) {
      // Already going (another cleanup) is fine; anything else is said.
      if (!/already in progress|No such (container|volume)/.test(String(err.stderr ?? ''))) throw err;
    }
  }
}
