import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { reply } from '../../../src/model/scripted';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { pruneDerivedImages } from '../../../src/sandbox/docker/derived-image';
import { connectDocker } from '../../../src/sandbox/docker/client';
import type { SessionEvent } from '../../../src/wire';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { requireDocker, TIMEOUT } from './helpers';

// Environment packages on real Docker, through the real egress proxy to the real registries this machine reaches
// (Debian's apt mirror and the npm registry): installed once into a derived image, reused by the next session, a
// package that does not exist named in a session error, a registry that cannot be reached named as well. The local
// provider refuses packages when the session is created.

const idle = (events: readonly SessionEvent[]) => events.some((e) => e.type === 'session.status_idle');
const resultsOf = (events: readonly SessionEvent[]) =>
  events.flatMap((e) => (e.type === 'agent.tool_result' ? [(e.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('')] : []));
const errorsOf = (events: readonly SessionEvent[]) => events.flatMap((e) => (e.type === 'session.error' ? [e.error.message] : []));
const bash = (command: string) => reply.tool('bash', { command, timeout_ms: 120_000 });

describe('docker: environment packages', function () {
  // Real registries at this machine's speed: an apt update alone can take a minute or two.
  this.timeout(TIMEOUT * 10);
  let t: TestRuntime;
  const progress: { session: string; message: string }[] = [];

  before(async () => {
    await requireDocker();
    t = await makeTestRuntime({
      script: [bash('jq --version; echo "{\\"a\\":41}" | jq .a; cowsay moo'), reply.text('ok'), bash('jq --version; cowsay again'), reply.text('ok'), bash('true'), bash('true')],
      provider: (storage) => new DockerSandboxProvider({ storageRoot: storage }),
      runtime: { onProgress: (session, message) => progress.push({ session, message }) },
    });
  });

  after(async () => {
    const root = `${t.storage}/docker`;
    await t?.close();
    // The images this run derived (labelled with this storage root) go with it.
    await pruneDerivedImages(await connectDocker(), root, null, { maxCount: 0 }).catch(() => undefined);
  });

  async function session(config: Record<string, unknown>, name: string): Promise<{ id: string; events: SessionEvent[]; ms: number }> {
    const env = await t.runtime.environments.create({ name, config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: [], allow_package_managers: true }, ...config } });
    const agent = await t.runtime.agents.create({ name: 'installer', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }] });
    const s = await t.runtime.sessions.create({ agent: agent.id, environment_id: env.id, resources: [{ type: 'local_repository', path: t.repo }] });
    const started = Date.now();
    await t.runtime.sessions.send(s.id, [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }]);
    const events = await t.waitFor(s.id, idle, TIMEOUT * 4).catch((err: Error) => {
      throw new Error(`${err.message}\nprogress:\n${progress.filter((p) => p.session === s.id).map((p) => p.message).join('\n')}`);
    });
    return { id: s.id, events, ms: Date.now() - started };
  }

  const imageOf = (sessionId: string) =>
    execFileSync('docker', ['ps', '--filter', `label=dev.hangar.session=${sessionId}`, '--format', '{{.Image}}'], { encoding: 'utf8' }).trim();

  it('installs apt and npm packages once into a derived image and reuses it for the next session', async () => {
    const packages = { apt: ['jq'], npm: ['cowsay'] };
    const first = await session({ packages }, 'pkgs-1');
    const out1 = resultsOf(first.events)[0] ?? '';
    assert.match(out1, /jq-1\.\d/, out1);
    assert.match(out1, /^41$/m, out1);
    assert.match(out1, /< moo >/, out1);
    const mine = (id: string) => progress.filter((p) => p.session === id).map((p) => p.message);
    assert.ok(mine(first.id).some((m) => m.startsWith("Installing the environment's packages (apt: jq; npm: cowsay)")), mine(first.id).join('\n'));
    assert.ok(mine(first.id).some((m) => m.startsWith('npm: ')), 'npm progress is shown');
    const image = imageOf(first.id);
    assert.match(image, /^hangar-packages:[0-9a-f]{16}$/);

    // Same environment contents in another environment: the image is found by content, nothing is installed again.
    const second = await session({ packages: { npm: ['cowsay'], apt: ['jq', 'jq'] } }, 'pkgs-2');
    assert.match(resultsOf(second.events)[0] ?? '', /< again >/);
    assert.equal(imageOf(second.id), image);
    assert.ok(mine(second.id).some((m) => m.startsWith('Using the cached image')), mine(second.id).join('\n'));
    assert.ok(!mine(second.id).some((m) => m.startsWith('apt: ') || m.startsWith('npm: ')), 'the second session installs nothing');
    console.log(`      first session to its first result: ${first.ms} ms; second (cached image): ${second.ms} ms`);
    // The derived image keeps the base image's user and command, and carries neither the proxy's CA nor its variables.
    const inspect = JSON.parse(execFileSync('docker', ['image', 'inspect', image], { encoding: 'utf8' }))[0] as { Config: { User: string; Cmd: string[]; Env: string[] } };
    assert.equal(inspect.Config.User, 'agent');
    assert.deepEqual(inspect.Config.Cmd, ['sleep', 'infinity']);
    assert.ok(!inspect.Config.Env.some((e) => /PROXY/i.test(e)), inspect.Config.Env.join('\n'));
    const ca = execFileSync('docker', ['run', '--rm', '--network', 'none', image, 'sh', '-c', 'ls /usr/local/share/ca-certificates; ls /var/lib/apt/lists | grep -c . || true'], { encoding: 'utf8' });
    assert.doesNotMatch(ca, /hangar-egress-ca/);
  });

  it('ends the turn with a session error naming a package that does not exist, and tries once', async () => {
    const bad = 'hangar-no-such-package-x';
    const s = await session({ packages: { apt: ['jq', bad] } }, 'pkgs-bad');
    const errors = errorsOf(s.events);
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0] as string, new RegExp(`the apt package "${bad}" does not exist`));
    assert.match(resultsOf(s.events)[0] ?? '', /bash did not run: Installing the environment's packages failed/);
    const stop = s.events.findLast((e) => e.type === 'session.status_idle');
    assert.deepEqual(stop?.type === 'session.status_idle' ? stop.stop_reason : null, { type: 'retries_exhausted' });
    const installs = progress.filter((p) => p.session === s.id && p.message.startsWith('apt: apt-get install'));
    assert.equal(installs.length, 1, 'the failed install ran once');
  });

  it('says which registry could not be reached when pip packages cannot be installed', async () => {
    const s = await session({ packages: { pip: ['requests==2.31.0'] } }, 'pkgs-pip');
    const errors = errorsOf(s.events);
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0] as string, /installing pip packages \(requests==2\.31\.0\) failed: pypi\.org could not be reached through the egress proxy/);
  });

  it('is refused at session creation by the local provider, naming the packages', async () => {
    const local = await makeTestRuntime();
    try {
      const env = await local.runtime.environments.create({ name: 'pkgs-local', config: { type: 'cloud', networking: { type: 'limited', allow_package_managers: true }, packages: { apt: ['jq'] } } });
      const agent = await local.agent();
      await assert.rejects(
        local.runtime.sessions.create({ agent, environment_id: env.id, resources: [{ type: 'local_repository', path: local.repo }] }),
        /installs packages \(apt: jq\), which the local provider cannot do.*Use the Docker provider/,
      );
    } finally {
      await local.close();
    }
  });

  it('refuses a package name that a manager would read as an option', async () => {
    await assert.rejects(
      t.runtime.environments.create({ name: 'pkgs-option', config: { type: 'cloud', networking: { type: 'unrestricted' }, packages: { apt: ['--allow-unauthenticated'] } } }),
      /no leading "-".*packages\.apt\[0\]/s,
    );
  });
});
