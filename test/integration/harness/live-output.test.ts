import { checkLiveOutput, runLiveOutputSession, type Timeline } from '../../support/live-output-scenario';
import { MODEL_APIS } from '../../support/model-apis';

for (const api of MODEL_APIS) {
  describe(`live tool output (local sandbox, ${api})`, function () {
    this.timeout(60_000);
    let timeline: Timeline | undefined;
    after(async () => timeline?.t.close());

    it('previews a running command, scrubbed and bounded (a flood, binary), before its complete result; previews are not logged', async () => {
      timeline = await runLiveOutputSession(undefined, undefined, api);
      await checkLiveOutput(timeline);
    });
  });
}
