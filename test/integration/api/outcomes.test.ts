import assert from 'node:assert/strict';
import Anthropic, { toFile } from '@anthropic-ai/sdk';
import { isGrader, reply, withGrader, type RecordedRequest } from '../../../src/model/scripted';
import { collect, onEachProvider, startApi, type ApiFixture, type StreamEvent } from './helpers';
import { typeCheckRecorded } from './sdk-types';

// Outcomes (issue #11 §1) through the real SDK: user.define_outcome echoed with its outcome_id, a grader in its own
// context (the scripted model's grader route) that asks for a revision and then is satisfied, the evaluation limit,
// Hangar's check commands (a failing one overrides a "satisfied" verdict), an interrupt during grading, the grader's
// usage in the session's, and bad input refused with 400s that say why.

type Outcome = Anthropic.Beta.Sessions.BetaManagedAgentsUserDefineOutcomeEventParams & { checks?: { command: string; timeout_ms?: number }[] };
type SessionParams = Anthropic.Beta.Sessions.SessionCreateParams;
const RUBRIC = '- hello.txt exists and says hello\n- README.md mentions hello.txt';
const outcome = (extra: Partial<Outcome> = {}): Outcome => ({ type: 'user.define_outcome', description: 'Write hello.txt and document it', rubric: { type: 'text', content: RUBRIC }, ...extra });
const define = (f: ApiFixture, id: string, o: Outcome) => f.client.beta.sessions.events.send(id, { events: [o as Anthropic.Beta.Sessions.BetaManagedAgentsEventParams] });
const ended = (seen: StreamEvent[]) => seen.filter((e) => e.type === 'span.outcome_evaluation_end');
const finished = (seen: StreamEvent[]) => seen.at(-1)?.type === 'session.status_idle' && ended(seen).some((e) => e.type === 'span.outcome_evaluation_end' && e.result !== 'needs_revision');
const graderRequests = (f: ApiFixture): RecordedRequest[] => f.t.model.requests.filter(isGrader);
const textOf = (r: RecordedRequest) => JSON.stringify(r.body.messages);

async function refused(p: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof Anthropic.BadRequestError, String(err));
    assert.match((err.error as { error?: { message?: string } }).error?.message ?? '', message);
    return true;
  });
}

describe('api: outcomes with the SDK', function () {
  this.timeout(60_000);
  let f: ApiFixture;
  afterEach(async () => f?.close());

  it('grades each turn in its own context: needs_revision feeds the agent, satisfied ends it; the session shows the evaluations', async () => {
    f = await startApi({
      script: withGrader(
        [reply.verdict('needs_revision', 'README.md does not mention hello.txt.'), reply.verdict('satisfied', 'Both criteria are met.')],
        [
          reply.tool('write', { file_path: 'hello.txt', content: 'hello\n' }),
          reply.text('I wrote hello.txt, secretly thinking about the README.'),
          reply.tool('write', { file_path: 'README.md', content: '# sample\nSee hello.txt.\n' }),
          reply.text('Documented it.'),
        ],
      ),
    });
    const session = await f.session((await f.agent()).id);
    const stream = await f.client.beta.sessions.events.stream(session.id);
    const sent = await define(f, session.id, outcome());
    const echo = sent.data?.[0];
    assert.ok(echo?.type === 'user.define_outcome', 'the echo is the outcome');
    assert.match(echo.outcome_id, /^outc_/);
    assert.equal(echo.max_iterations, 3, 'the default number of evaluations');
    assert.ok(echo.processed_at, 'processed on receipt');

    const seen = await collect(stream, finished);
    const spans = seen.filter((e) => e.type.startsWith('span.outcome_evaluation_'));
    assert.deepEqual(
      spans.filter((e) => e.type !== 'span.outcome_evaluation_ongoing').map((e) => (e.type === 'span.outcome_evaluation_end' ? `end ${e.iteration} ${e.result}` : e.type === 'span.outcome_evaluation_start' ? `start ${e.iteration}` : e.type)),
      ['start 0', 'end 0 needs_revision', 'start 1', 'end 1 satisfied'],
    );
    const [first, second] = ended(seen);
    assert.ok(first?.type === 'span.outcome_evaluation_end' && second?.type === 'span.outcome_evaluation_end');
    assert.equal(first.outcome_id, echo.outcome_id);
    assert.equal(first.explanation, 'README.md does not mention hello.txt.');
    const start = seen.find((e) => e.type === 'span.outcome_evaluation_start');
    assert.equal(first.outcome_evaluation_start_id, start?.id);
    assert.ok(first.usage.input_tokens > 0, 'the end carries the grader usage');
    assert.equal(seen.filter((e) => e.type === 'session.status_idle').length, 1, 'the session stays running while it revises');

    // The grader's own context: rubric, task and the diff; never the agent's words.
    const graded = graderRequests(f);
    assert.equal(graded.length, 2);
    assert.match(textOf(graded[0]!), /hello\.txt exists/);
    assert.match(textOf(graded[0]!), /\+hello/, 'the diff of the changes');
    assert.doesNotMatch(textOf(graded[0]!), /secretly thinking/, 'not the agent conversation');
    assert.match(textOf(graded[1]!), /See hello\.txt/, 'the second evaluation sees the revision');
    // The agent heard the feedback as the user side of its conversation.
    const revision = f.t.model.requests.filter((r) => !isGrader(r))[2]!;
    assert.match(textOf(revision), /README.md does not mention hello.txt/);

    const after = await f.client.beta.sessions.retrieve(session.id);
    assert.deepEqual(
      after.outcome_evaluations.map(({ completed_at, ...o }) => ({ ...o, completed: completed_at !== null })),
      [{ type: 'outcome_evaluation', outcome_id: echo.outcome_id, description: 'Write hello.txt and document it', iteration: 1, result: 'satisfied', explanation: 'Both criteria are met.', completed: true }],
    );
    // The grader's requests count in the session's usage (so in its cost and budget).
    const agentInput = seen.reduce((n, e) => n + (e.type === 'span.model_request_end' ? e.model_usage.input_tokens : 0), 0);
    const graderInput = ended(seen).reduce((n, e) => n + (e.type === 'span.outcome_evaluation_end' ? e.usage.input_tokens : 0), 0);
    assert.equal(after.usage.input_tokens, agentInput + graderInput);

    // Every shape as the SDK declares it (excess-property checks included).
    const events = 'Beta.Sessions.BetaManagedAgentsSessionEvent';
    assert.deepEqual(
      typeCheckRecorded([
        { label: 'define_outcome echo', type: events, value: echo },
        { label: 'span.outcome_evaluation_start', type: events, value: start },
        { label: 'span.outcome_evaluation_end', type: events, value: first },
        { label: 'session.outcome_evaluations[0]', type: 'Beta.Sessions.BetaManagedAgentsOutcomeEvaluationResource', value: after.outcome_evaluations[0] },
      ]),
      [],
    );
  });

  it('stops at max_iterations (given in initial_events): max_iterations_reached, one acknowledgement turn, no more grading', async () => {
    f = await startApi({
      script: withGrader(
        [reply.verdict('needs_revision', 'Still missing the README line.'), reply.verdict('needs_revision', 'Still missing it.'), reply.verdict('satisfied', 'never asked')],
        [reply.text('first try'), reply.text('second try'), reply.text('Where it stands: the README line is missing.')],
      ),
    });
    const agent = await f.agent();
    const session = await f.client.beta.sessions.create({ agent: agent.id, environment_id: f.t.envId, resources: [{ type: 'local_repository', path: f.t.repo }], initial_events: [outcome({ max_iterations: 2 })] } as unknown as SessionParams);
    const stream = await f.client.beta.sessions.events.stream(session.id);
    const seen = await collect(stream, (s) => s.at(-1)?.type === 'session.status_idle' && s.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes('Where it stands')));
    assert.deepEqual(ended(seen).map((e) => (e.type === 'span.outcome_evaluation_end' ? `${e.iteration} ${e.result}` : '')), ['0 needs_revision', '1 max_iterations_reached']);
    assert.equal(graderRequests(f).length, 2, 'no third evaluation');
    const last = f.t.model.requests.filter((r) => !isGrader(r)).at(-1)!;
    assert.match(textOf(last), /used all its evaluations/);
    const after = await f.client.beta.sessions.retrieve(session.id);
    assert.equal(after.outcome_evaluations[0]?.result, 'max_iterations_reached');
  });

  it('a failing check command overrides a "satisfied" verdict; once it passes, satisfied stands', async () => {
    f = await startApi({
      script: withGrader(
        [reply.verdict('satisfied', 'Looks done to me.'), reply.verdict('satisfied', 'Done, and the check passes.')],
        [reply.text('I think it is done.'), reply.tool('write', { file_path: 'hello.txt', content: 'hello\n' }), reply.text('Now it is.')],
      ),
    });
    const session = await f.session((await f.agent()).id);
    const stream = await f.client.beta.sessions.events.stream(session.id);
    await define(f, session.id, outcome({ checks: [{ command: 'test -f hello.txt && echo found || { echo "hello.txt is missing"; exit 3; }' }] }));
    const seen = await collect(stream, finished);
    const [first, second] = ended(seen);
    assert.ok(first?.type === 'span.outcome_evaluation_end' && second?.type === 'span.outcome_evaluation_end');
    assert.equal(first.result, 'needs_revision', 'the failing check overrode the grader');
    assert.match(first.explanation, /exited with 3/);
    assert.match(first.explanation, /Looks done to me/);
    assert.equal(second.result, 'satisfied');
    const graded = graderRequests(f);
    assert.match(textOf(graded[0]!), /exit code 3/);
    assert.match(textOf(graded[0]!), /hello.txt is missing/, 'the output tail goes to the grader');
    assert.match(textOf(graded[1]!), /exit code 0/);
    assert.doesNotMatch(textOf(graded[0]!), /__hangar_check_exit/, 'the exit marker is not shown');
  });

  it('a check that runs past its timeout did not pass: never satisfied', async () => {
    f = await startApi({ script: withGrader([reply.verdict('satisfied', 'Looks done.')], [reply.text('done'), reply.text('Where it stands: the check hangs.')]) });
    const session = await f.session((await f.agent()).id);
    const stream = await f.client.beta.sessions.events.stream(session.id);
    await define(f, session.id, outcome({ max_iterations: 1, checks: [{ command: 'echo starting; sleep 30', timeout_ms: 1000 }] }));
    const end = ended(await collect(stream, finished, 30_000))[0];
    assert.ok(end?.type === 'span.outcome_evaluation_end');
    assert.equal(end.result, 'max_iterations_reached');
    assert.match(end.explanation, /`echo starting; sleep 30` did not finish/);
    assert.match(textOf(graderRequests(f)[0]!), /\[did not finish\][\s\S]*starting/);
  });

  it('an interrupt during grading ends the outcome as interrupted', async () => {
    f = await startApi({ script: withGrader([reply.fault('hang')], [reply.text('done')]) });
    const session = await f.session((await f.agent()).id);
    const stream = await f.client.beta.sessions.events.stream(session.id);
    await define(f, session.id, outcome());
    await collect(stream, (s) => s.some((e) => e.type === 'span.outcome_evaluation_start'));
    const rest = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.events.send(session.id, { events: [{ type: 'user.interrupt' }] });
    const seen = await collect(rest, (s) => s.at(-1)?.type === 'session.status_idle' && ended(s).length > 0);
    const end = ended(seen)[0];
    assert.ok(end?.type === 'span.outcome_evaluation_end');
    assert.equal(end.result, 'interrupted');
    assert.equal(ended(seen).length, 1);
    assert.equal((await f.client.beta.sessions.retrieve(session.id)).outcome_evaluations[0]?.result, 'interrupted');
  });

  it("retries the grader's transport errors per the retry policy; its spend counts toward the budget, which holds the next step", async () => {
    // 100,000 input tokens of the default model (Sonnet 5.5, $2 per million): 20 cents.
    const costly = { ...reply.verdict('needs_revision', 'Add the README line.'), usage: { input_tokens: 100_000, output_tokens: 0 } };
    f = await startApi({ script: withGrader([reply.fault('overloaded'), costly], [reply.text('first try'), reply.text('never reached')]) });
    const agent = await f.agent();
    const budget = { type: 'limit', max_list_cost: { amount: '10', currency: 'USD' } };
    const session = await f.client.beta.sessions.create({ agent: agent.id, environment_id: f.t.envId, resources: [{ type: 'local_repository', path: f.t.repo }], budget } as unknown as SessionParams);
    const stream = await f.client.beta.sessions.events.stream(session.id);
    await define(f, session.id, outcome());
    const seen = await collect(stream, (s) => s.at(-1)?.type === 'session.status_idle');
    const retried = seen.find((e) => e.type === 'session.error');
    assert.ok(retried?.type === 'session.error' && retried.error.retry_status.type === 'retrying', 'the overloaded grader request was retried');
    assert.match(retried.error.message, /outcome grader/);
    assert.equal(ended(seen)[0]?.type === 'span.outcome_evaluation_end' && ended(seen)[0]?.result, 'needs_revision');
    const last = seen.at(-1);
    assert.ok(last?.type === 'session.status_idle' && last.stop_reason.type === 'budget_reached', "the grader's spend reached the budget: the revision waits");
    assert.equal(graderRequests(f).length, 2);
    assert.equal(f.t.model.requests.filter((r) => !isGrader(r)).length, 1, 'no agent request after the budget was reached');
  });

  it('holds grading when the budget is spent, and grades once it is raised', async () => {
    const costly = { ...reply.text('done'), usage: { input_tokens: 100_000, output_tokens: 0 } };
    f = await startApi({ script: withGrader([reply.verdict('satisfied', 'Good.')], [costly]) });
    const agent = await f.agent();
    const usd = (cents: number): Anthropic.Beta.Sessions.BetaManagedAgentsBudgetLimit => ({ type: 'limit', max_list_cost: { amount: String(cents), currency: 'USD' } });
    const session = await f.client.beta.sessions.create({ agent: agent.id, environment_id: f.t.envId, resources: [{ type: 'local_repository', path: f.t.repo }], budget: usd(10) } as unknown as SessionParams);
    const stream = await f.client.beta.sessions.events.stream(session.id);
    await define(f, session.id, outcome());
    const held = await collect(stream, (s) => s.at(-1)?.type === 'session.status_idle');
    const idle = held.at(-1);
    assert.ok(idle?.type === 'session.status_idle' && idle.stop_reason.type === 'budget_reached', 'the agent spent the budget: grading waits');
    assert.equal(graderRequests(f).length, 0, 'the grader was not asked');
    assert.equal(ended(held).length, 0);
    const again = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.update(session.id, { budget: usd(100) });
    const rest = await collect(again, finished);
    assert.deepEqual(ended(rest).map((e) => (e.type === 'span.outcome_evaluation_end' ? e.result : '')), ['satisfied']);
    assert.equal(graderRequests(f).length, 1);
  });

  it('an invalid grader answer is a failed evaluation that says why', async () => {
    f = await startApi({ script: withGrader([reply.tool('submit_verdict', { result: 'great', explanation: '' })], [reply.text('done')]) });
    const session = await f.session((await f.agent()).id);
    const stream = await f.client.beta.sessions.events.stream(session.id);
    await define(f, session.id, outcome());
    const end = ended(await collect(stream, finished))[0];
    assert.ok(end?.type === 'span.outcome_evaluation_end');
    assert.equal(end.result, 'failed');
    assert.match(end.explanation, /verdict was malformed/);
  });

  it('refuses bad outcomes with 400s that say why, and nothing is logged or created', async () => {
    f = await startApi({ script: withGrader([], [reply.text('working')]) });
    const agent = await f.agent();
    const session = await f.session(agent.id);
    await refused(define(f, session.id, outcome({ max_iterations: 0 })), /max_iterations must be at least 1/);
    await refused(define(f, session.id, outcome({ max_iterations: 21 })), /max_iterations is at most 20/);
    await refused(define(f, session.id, outcome({ rubric: { type: 'text', content: '' } })), /rubric.content is empty/);
    await refused(define(f, session.id, outcome({ rubric: { type: 'text', content: 'x'.repeat(262_145) } })), /over 262144 characters/);
    await refused(define(f, session.id, outcome({ description: '' })), /description is empty/);
    await refused(define(f, session.id, outcome({ rubric: { type: 'file', file_id: 'file_011nothere' } })), /rubric.file_id/);
    await refused(define(f, session.id, outcome({ checks: [{ command: '' }] })), /checks\[\]\.command is empty/);
    const binary = await f.client.beta.files.upload({ file: await toFile(Buffer.from([0, 1, 2, 255]), 'rubric.bin') });
    await refused(define(f, session.id, outcome({ rubric: { type: 'file', file_id: binary.id } })), /not UTF-8 text/);
    assert.equal((await f.client.beta.sessions.events.list(session.id)).data.length, 0, 'nothing refused was logged');
    const before = (await f.client.beta.sessions.list()).data.length;
    await refused(
      f.client.beta.sessions.create({ agent: agent.id, environment_id: f.t.envId, initial_events: [outcome({ max_iterations: 21 })] } as unknown as SessionParams),
      /max_iterations is at most 20/,
    );
    assert.equal((await f.client.beta.sessions.list()).data.length, before, 'no session was created');

    // A file rubric is read once, echoed as its text; a second outcome while one is active is refused.
    const file = await f.client.beta.files.upload({ file: await toFile(Buffer.from(RUBRIC), 'rubric.md') });
    const sent = await define(f, session.id, outcome({ rubric: { type: 'file', file_id: file.id } }));
    const echo = sent.data?.[0];
    assert.ok(echo?.type === 'user.define_outcome');
    assert.deepEqual(echo.rubric, { type: 'text', content: RUBRIC });
    await refused(define(f, session.id, outcome()), /is still being worked on/);

    // Multi-agent sessions refuse outcomes (not supported yet), at create and later.
    const lead = await f.agent({ name: 'lead', multiagent: { type: 'coordinator', agents: [agent.id] } });
    const team = await f.session(lead.id);
    await refused(define(f, team.id, outcome()), /not supported in multi-agent sessions/);
    await refused(
      f.client.beta.sessions.create({ agent: lead.id, environment_id: f.t.envId, initial_events: [outcome()] } as unknown as SessionParams),
      /not supported in multi-agent sessions/,
    );
  });
});

// The checks run in the session's sandbox, on each provider: a container's shell, or the local copy's.
onEachProvider('api: outcome check commands run in the sandbox', (fixture) => {
  it('a failing check turns "satisfied" into a revision; the revision makes it pass', async () => {
    const f = fixture();
    // In order: the agent's turn, the grader, the revision (a tool call, then its reply), the grader again.
    f.t.model.push(reply.text('done, I think'), reply.verdict('satisfied', 'Fine.'), reply.tool('write', { file_path: 'hello.txt', content: 'hello\n' }), reply.text('wrote it'), reply.verdict('satisfied', 'Fine now.'));
    const session = await f.session((await f.agent()).id);
    const stream = await f.client.beta.sessions.events.stream(session.id);
    await define(f, session.id, outcome({ checks: [{ command: 'cat hello.txt', timeout_ms: 60_000 }] }));
    const seen = await collect(stream, finished, 120_000);
    assert.deepEqual(ended(seen).map((e) => (e.type === 'span.outcome_evaluation_end' ? e.result : '')), ['needs_revision', 'satisfied']);
    const graded = graderRequests(f);
    assert.match(textOf(graded[0]!), /No such file or directory[\s\S]*exit code 1|exit code 1[\s\S]*No such file/);
    assert.match(textOf(graded[1]!), /exit code 0[^"]*\\nhello/);
  });
});
