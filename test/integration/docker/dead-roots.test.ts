import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { labels, volumeName } from '../../../src/sandbox/docker/names';
import { readState } from '../../../src/sandbox/docker/state';
import { env, newProvider, requireDocker, retireAll, sandboxContainerId, TIMEOUT, tmpDir } from './helpers';

// A user deletes their storage folder while its sessions still have volumes (and a container still runs): no reaper
// of that root will run again, so any provider that connects to the engine removes them (dead-roots.ts), and only them.

async function volumeExists(docker: Docker, name: string): Promise<boolean> {
  return docker.getVolume(name).inspect().then(() => true, () => false);
}

async function containerExists(docker: Docker, id: string): Promise<boolean> {
  return docker.getContainer(id).inspect().then(() => true, () => false);
}

describe('docker sandbox: the volumes of a storage folder that was deleted', function () {
  this.timeout(TIMEOUT);
  let docker: Docker;
  const providers: DockerSandboxProvider[] = [];
  const made: string[] = [];

  before(async () => {
    docker = await requireDocker();
  });
  after(async () => {
    await retireAll(providers);
    for (const name of made) await docker.getVolume(name).remove({ force: true }).catch(() => undefined);
  });

  it("go when the next provider connects; a live root's sandbox, a copy mode volume and a volume whose path and root label disagree stay", async () => {
    const deleted = tmpDir('store');
    const gone = newProvider({ storageRoot: deleted });
    const goneSandbox = await gone.provision({ sessionId: 'gone', environment: env() });
    const goneVolume = (await readState(gone.root, 'gone'))?.volume;
    assert.ok(goneVolume);
    const goneContainer = sandboxContainerId(goneSandbox);
    // Closed without a release, as a window that goes away: the container keeps running for a later reattach.
    await gone.close();

    const live = newProvider();
    providers.push(live);
    const liveContainer = sandboxContainerId(await live.provision({ sessionId: 'live', environment: env() }));
    const liveVolume = (await readState(live.root, 'live'))?.volume;
    assert.ok(liveVolume);

    // A copy mode volume carries the deleted root's key but no path: it may hold a session's files, so it stays.
    const copyVolume = volumeName(`copy${process.pid}`);
    await docker.createVolume({ Name: copyVolume, Driver: 'local', Labels: labels(gone.root, 'copy', `copy${process.pid}`) });
    // An overlay volume naming missing dirs under the live root's label: the path is not the labelled root's.
    const forged = `forged${process.pid}`;
    const missing = path.join(deleted, 'elsewhere', 'layers', forged);
    await docker.createVolume({
      Name: volumeName(forged),
      Driver: 'local',
      DriverOpts: { type: 'overlay', device: 'overlay', o: `lowerdir=${missing}/lower,upperdir=${missing}/upper,workdir=${missing}/work,userxattr` },
      Labels: labels(live.root, 'forged', forged),
    });
    made.push(copyVolume, volumeName(forged));

    fs.rmSync(deleted, { recursive: true, force: true });
    const next = newProvider();
    providers.push(next);
    await next.docker();
    // close() waits for the sweeps started on connecting.
    await next.close();

    assert.equal(await volumeExists(docker, goneVolume), false, "the deleted root's volume is removed");
    assert.equal(await containerExists(docker, goneContainer), false, 'and the container still running on it');
    assert.equal(await volumeExists(docker, liveVolume), true, "the live root's volume stays");
    assert.equal(await containerExists(docker, liveContainer), true, "and its session's container");
    assert.equal(await volumeExists(docker, copyVolume), true, 'a copy mode volume is never judged by its label alone');
    assert.equal(await volumeExists(docker, volumeName(forged)), true, 'a volume whose dirs are not under its labelled root stays');
  });
});
