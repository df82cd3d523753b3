import assert from 'node:assert/strict';
import { ListRefreshes } from '../../../src/extension/tree/list-refreshes';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wait = { askMs: 120, settleMs: 40 };

/** A tree's refreshes of its list, as VS Code would see them, with VS Code's fetches in between. */
function tree(visible = true) {
  const steps: string[] = [];
  let shown = visible;
  const gate = new ListRefreshes(() => steps.push('refresh'), () => shown, wait);
  return {
    steps,
    gate,
    show: (v: boolean) => ((shown = v), gate.shown(v)),
    /** VS Code fetching the list, answered after `ms`. */
    fetch: async (ms = 0) => {
      gate.fetchStarted();
      steps.push('fetch');
      await sleep(ms);
      steps.push('answered');
      gate.fetchEnded();
    },
  };
}

describe('extension/tree/list-refreshes', () => {
  let t: ReturnType<typeof tree>;
  afterEach(() => t.gate.dispose());

  it('sends no second refresh until VS Code has asked for the first, then sends the next at once', async () => {
    t = tree();
    t.gate.moved();
    t.gate.moved();
    assert.deepEqual(t.steps, ['refresh'], 'VS Code gets the list as it is when it asks');
    await t.fetch();
    await sleep(wait.settleMs + 20);
    t.gate.moved();
    assert.deepEqual(t.steps, ['refresh', 'fetch', 'answered', 'refresh']);
  });

  it('holds a refresh asked for while a fetch of the list is answered until that answer has settled, then sends it', async () => {
    t = tree();
    const fetching = t.fetch(30);
    t.gate.moved();
    t.gate.send();
    assert.deepEqual(t.steps, ['fetch'], 'a refresh now would cancel the fetch VS Code is answering');
    await fetching;
    assert.deepEqual(t.steps, ['fetch', 'answered'], 'nor while the answer crosses to VS Code');
    await sleep(wait.settleMs + 20);
    assert.deepEqual(t.steps, ['fetch', 'answered', 'refresh'], 'once settled, one refresh for all asked meanwhile');
  });

  it('waits for the last of overlapping fetches, and a fetch starting while one settles holds it again', async () => {
    t = tree();
    const first = t.fetch(10);
    const second = t.fetch(40);
    t.gate.moved();
    await first;
    await sleep(wait.settleMs + 10);
    assert.equal(t.steps.filter((s) => s === 'refresh').length, 0, 'the second fetch is still being answered');
    await second;
    await t.fetch();
    assert.equal(t.steps.filter((s) => s === 'refresh').length, 0, 'the new fetch restarted the settling');
    await sleep(wait.settleMs + 20);
    assert.equal(t.steps.at(-1), 'refresh');
  });

  it('sends an unasked refresh again while the view shows, and not while it is hidden until it shows again', async () => {
    t = tree();
    t.gate.moved();
    await sleep(wait.askMs + 30);
    assert.deepEqual(t.steps, ['refresh', 'refresh'], 'VS Code never asked: sent again');
    t.show(false);
    await sleep(wait.askMs + 30);
    assert.deepEqual(t.steps, ['refresh', 'refresh'], 'a hidden view fetches nothing: not sent again');
    t.show(true);
    assert.deepEqual(t.steps, ['refresh', 'refresh', 'refresh'], 'shown again: sent at once');
    await t.fetch();
    await sleep(wait.askMs + 30);
    assert.deepEqual(t.steps, ['refresh', 'refresh', 'refresh', 'fetch', 'answered'], 'asked: nothing more');
  });
});
