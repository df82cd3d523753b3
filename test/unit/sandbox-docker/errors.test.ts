import assert from 'node:assert/strict';
import { classifyEngineError, DiskFullError, DockerUnavailableError, ImageMissingError } from '../../../src/sandbox/docker/errors';

// Engine failures become typed errors whose messages say what to do.

const engineError = (statusCode: number, message: string) => Object.assign(new Error(message), { statusCode });

describe('sandbox-docker: engine errors', () => {
  it('an unreachable engine says how to start one and names the local provider', () => {
    const err = classifyEngineError(Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), { code: 'ECONNREFUSED' }));
    assert.ok(err instanceof DockerUnavailableError);
    assert.match(err.message, /ECONNREFUSED/);
    assert.match(err.message, /hangar\.sandbox\.provider: "local"/);
  });

  it('ENOSPC from the engine is a disk-full error', () => {
    const err = classifyEngineError(engineError(500, 'write /var/lib/docker/overlay2/x: no space left on device'));
    assert.ok(err instanceof DiskFullError);
    assert.match(err.message, /disk is full.*docker system prune/s);
  });

  it('a missing image names the image and the build script', () => {
    const err = classifyEngineError(engineError(404, 'No such image: hangar-sandbox:latest'), { image: 'hangar-sandbox:latest' });
    assert.ok(err instanceof ImageMissingError);
    assert.match(err.message, /hangar-sandbox:latest.*sandbox\/build-image\.sh/s);
  });

  it('anything else passes through unchanged', () => {
    const original = engineError(409, 'Conflict. The container name is already in use');
    assert.equal(classifyEngineError(original), original);
    assert.equal(classifyEngineError('a string').message, 'a string');
  });
});
