import assert from 'node:assert/strict';
import { expand } from '../../../src/sandbox/docker/feature-image';
import { parseOciRef, type FetchedFeature } from '../../../src/sandbox/docker/feature-source';
import { FeatureMetadata, installOrder, optionValues, refusedFeatureSettings, safeId, type ResolvedFeature } from '../../../src/sandbox/docker/features';
import { DevcontainerError } from '../../../src/sandbox/docker/errors';

// The parts of devcontainer features that need no engine: option names and values, OCI references, the spec's
// round-based install order, ENV expansion and the refused settings.

const oci = (resource: string, meta: Record<string, unknown> = {}, id = `${resource}:1`): ResolvedFeature => {
  const source: FetchedFeature = { kind: 'oci', resource, files: [], digest: 'sha256:0' };
  return { id, source, metadata: FeatureMetadata.parse({ id: resource.split('/').pop(), ...meta }), optionEnv: {}, options: {} };
};
const ids = (list: readonly ResolvedFeature[]) => list.map((f) => f.source.resource.split('/').pop());

describe('sandbox-docker: devcontainer features', () => {
  it('makes option ids safe variable names and fills defaults; a string sets the version option', () => {
    assert.equal(safeId('flavour-name'), 'FLAVOUR_NAME');
    assert.equal(safeId('2fast.opt'), '_FAST_OPT');
    const meta = FeatureMetadata.parse({ id: 'node', options: { version: { type: 'string', default: 'lts' }, nvm: { type: 'boolean', default: true }, extra: { type: 'string' } } });
    assert.deepEqual(optionValues(meta, {}), { version: 'lts', nvm: true });
    assert.deepEqual(optionValues(meta, '20'), { version: '20', nvm: true });
    assert.deepEqual(optionValues(meta, { nvm: false, extra: 'x' }), { version: 'lts', nvm: false, extra: 'x' });
    assert.deepEqual(optionValues(FeatureMetadata.parse({ id: 'plain' }), '1'), {}, 'no version option: the shorthand sets nothing');
  });

  it('parses OCI references and refuses what is none', () => {
    assert.deepEqual(parseOciRef('ghcr.io/devcontainers/features/node:1'), { registry: 'ghcr.io', repository: 'devcontainers/features/node', reference: '1' });
    assert.deepEqual(parseOciRef('127.0.0.1:5000/f/go'), { registry: '127.0.0.1:5000', repository: 'f/go', reference: 'latest' });
    const digest = `sha256:${'a'.repeat(64)}`;
    assert.deepEqual(parseOciRef(`localhost/f/go@${digest}`), { registry: 'localhost', repository: 'f/go', reference: digest });
    for (const bad of ['node', 'devcontainers/features/node:1', 'ghcr.io/Upper/x', 'ghcr.io/x/y:bad tag']) assert.throws(() => parseOciRef(bad), DevcontainerError, bad);
  });

  it('orders by dependsOn and installsAfter in rounds, ties by id, overrideFeatureInstallOrder first', () => {
    const r = 'ghcr.io/f';
    const a = oci(`${r}/a`, { installsAfter: [`${r}/c`] });
    const b = oci(`${r}/b`);
    const c = oci(`${r}/c`, { dependsOn: { [`${r}/d:1`]: {} } });
    const d = oci(`${r}/d`);
    const e = oci(`${r}/e`, { installsAfter: [`${r}/absent`] });
    assert.deepEqual(ids(installOrder([a, b, c, d, e], [], '/dc')), ['b', 'd', 'e', 'c', 'a'], 'an installsAfter on a feature not present does not wait');
    assert.deepEqual(ids(installOrder([a, b, c, d, e], [`${r}/e`, `${r}/d`], '/dc')), ['e', 'd', 'b', 'c', 'a'], 'overridden ones go first, in the override\'s order');
    const legacy = oci(`${r}/new`, { legacyIds: ['old'] });
    const after = oci(`${r}/z`, { installsAfter: [`${r}/old`] });
    assert.deepEqual(ids(installOrder([after, legacy], [], '/dc')), ['new', 'z'], 'a legacy id names the feature too');
    const x = oci(`${r}/x`, { dependsOn: { [`${r}/y`]: {} } });
    const y = oci(`${r}/y`, { installsAfter: [`${r}/x`] });
    assert.throws(() => installOrder([x, y], [], '/dc'), /cannot be ordered: ghcr.io\/f\/x:1 \(dependsOn ghcr.io\/f\/y; installsAfter nothing\); ghcr.io\/f\/y:1 \(dependsOn nothing; installsAfter ghcr.io\/f\/x\) wait on each other/);
  });

  it('expands ${NAME} and $NAME as Docker ENV does, unset as empty', () => {
    assert.equal(expand('/opt/bin:${PATH}:$HOME/x:${NOPE}', { PATH: '/usr/bin', HOME: '/root' }), '/opt/bin:/usr/bin:/root/x:');
  });

  it('names the container settings a feature asks for that Hangar does not apply', () => {
    const f = oci('ghcr.io/f/dind', { privileged: true, init: false, capAdd: [], mounts: [{ source: 'dind', target: '/var/lib/docker', type: 'volume' }], entrypoint: '/usr/local/share/docker-init.sh' });
    assert.deepEqual(refusedFeatureSettings(f).map((s) => s.split(' (')[0]), ['feature ghcr.io/f/dind:1: privileged', 'feature ghcr.io/f/dind:1: mounts', 'feature ghcr.io/f/dind:1: entrypoint']);
  });
});
