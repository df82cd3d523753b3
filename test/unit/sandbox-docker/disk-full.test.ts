import assert from 'node:assert/strict';
import { withDiskNote } from '../../../src/sandbox/docker/disk-space';
import { DiskFullError, DevcontainerError, onEngine } from '../../../src/sandbox/docker/errors';
import { SandboxDamagedError, SandboxSetupError } from '../../../src/sandbox/errors';
import type { ToolOutcome } from '../../../src/wire/tool-outcome';

// A full disk, wherever it shows: an engine call, a command's output quoted in a setup error, a tool's result. The
// engine's own behaviour is in test/integration/docker/remote-disk-full.test.ts; these pin the rules.

const remote = { label: 'tcp://box:2376 (Docker context box)', local: false, cli: '--context box' };
const local = { label: 'unix:///var/run/docker.sock', local: true, cli: '' };
const engineError = (message: string) => Object.assign(new Error(message), { statusCode: 500 });

describe('sandbox-docker: a full disk', () => {
  it("an engine call or a setup that ran out of space is a DiskFullError naming the engine, without dockerode's wrapping", () => {
    const copy = onEngine(engineError('(HTTP code 500) server error - Error processing tar file(exit status 1): write /workspace/a.bin: no space left on device '), remote);
    assert.ok(copy instanceof DiskFullError);
    assert.match(copy.message, /^The Docker engine at tcp:\/\/box:2376 \(Docker context box\) is out of disk space \(Error processing tar file\(exit status 1\): write \/workspace\/a\.bin: no space left on device\)\./);
    assert.match(copy.message, /`docker --context box system prune`/);
    const feature = onEngine(new DevcontainerError('the devcontainer feature ./x failed to install: head: No space left on device'), local);
    assert.ok(feature instanceof DiskFullError && feature instanceof SandboxDamagedError, 'it ends the turn');
    assert.ok(!(feature instanceof SandboxSetupError), 'and is tried again on the next message');
    assert.match(feature.message, /^The Docker engine's disk is full \(the devcontainer feature \.\/x failed/);
  });

  it("this machine's own file call that ran out of space is not blamed on a remote engine", () => {
    const host = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    assert.equal(onEngine(host, remote), host);
  });

  it('a tool result that says the disk is full gets a note: where the files are, the space left, what frees it', async () => {
    const full: ToolOutcome = { content: [{ type: 'text', text: 'note.txt: no space left on device' }], is_error: true };
    const df = async () => ({ exitCode: 0, stdout: Buffer.from('Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/loop0 1510400 1509376 1024 100% /workspace\n'), stderr: Buffer.alloc(0) });
    const onEngineNote = await withDiskNote(full, df, { engine: remote });
    assert.equal(onEngineNote.is_error, true);
    assert.equal(onEngineNote.content[0]?.type === 'text' && onEngineNote.content[0].text, 'note.txt: no space left on device');
    const note = onEngineNote.content[1]?.type === 'text' ? onEngineNote.content[1].text : '';
    assert.match(note, /^\[sandbox\] No space left on device: this sandbox's files are on the Docker engine at tcp:\/\/box:2376 \(Docker context box\), not on the machine running Hangar\. 1 MB of 1475 MB are free there now\./);
    assert.match(note, /`docker --context box system df`.*`docker --context box system prune`/);

    const onLocal = await withDiskNote(full, null, { engine: local });
    assert.match(onLocal.content[1]?.type === 'text' ? onLocal.content[1].text : '', /^\[sandbox\] No space left on device: this sandbox's files are in the storage of the Docker engine at unix:\/\/\/var\/run\/docker\.sock\. Delete files .*`docker system prune`/);

    const onHost = await withDiskNote(full, null, { hostDir: '/store/docker/layers/l1/upper' });
    assert.match(onHost.content[1]?.type === 'text' ? onHost.content[1].text : '', /^\[sandbox\] No space left on device: this sandbox's files are on the machine running Hangar, in \/store\/docker\/layers\/l1\/upper\. Delete files/);

    const fine: ToolOutcome = { content: [{ type: 'text', text: 'ok' }], is_error: false };
    assert.equal(await withDiskNote(fine, df, { engine: remote }), fine);
  });
});
