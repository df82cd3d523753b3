import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { checkLiveOutput, runLiveOutputSession, type Timeline } from '../../support/live-output-scenario';
import { requireDocker, TIMEOUT } from './helpers';

describe('live tool output (Docker sandbox, through the tool server)', function () {
  this.timeout(TIMEOUT);
  let timeline: Timeline | undefined;
  before(async () => void (await requireDocker()));
  after(async () => {
    if (timeline) await timeline.t.runtime.deleteSession(timeline.sessionId).catch(() => undefined);
    await timeline?.t.close();
  });

  it('previews a running command, scrubbed and bounded (a flood, binary), before its complete result; previews are not logged', async () => {
    timeline = await runLiveOutputSession((storage) => new DockerSandboxProvider({ storageRoot: storage }), TIMEOUT - 10_000);
    await checkLiveOutput(timeline);
  });
});
