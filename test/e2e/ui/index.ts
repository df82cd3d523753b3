import { startScriptedModel, type ScriptedModel } from '../../../src/model/scripted';
import { runSuites, type TestResults } from '../mocha-run';
import type { Page } from 'playwright-core';
import { setContext, ui, type UiContext } from './context';
import { uiResponder } from './scenario';
import { approvalSuite } from './approvals.test';
import { chatSuite } from './chat.test';
import { credentialSuite } from './credentials.test';
import { keyboardSuite } from './keyboard.test';
import { startAgentSuite } from './start-agent.test';
import { threadSuite } from './threads.test';
import { threadsReply } from './threads-scenario';
import { outcomeSuite } from './outcome.test';
import { outcomeReply } from './outcome-scenario';
import { rewindSuite } from './rewind.test';
import { rewindReply } from './rewind-scenario';
import { threadRewindSuite } from './thread-rewind.test';
import { threadRewindReply } from './thread-rewind-scenario';
import { detachedSuite } from './detached.test';
import { awayReply } from './detached-scenario';

// The UI tests' entry, bundled and imported by test/e2e/run-ui-tests.mjs: the scripted model the driver starts
// (before VS Code, whose settings point at it) and the mocha run against the page.

export function startUiModel(): Promise<ScriptedModel> {
  return startScriptedModel({ script: (req) => awayReply(req) ?? threadRewindReply(req) ?? rewindReply(req) ?? outcomeReply(req) ?? threadsReply(req) ?? uiResponder(req) });
}

export function run(ctx: UiContext, grep?: string): Promise<TestResults> {
  setContext(ctx);
  return runSuites([startAgentSuite, chatSuite, keyboardSuite, approvalSuite, credentialSuite, threadSuite, outcomeSuite, rewindSuite, threadRewindSuite, detachedSuite], { timeout: 240_000, grep, file: 'ui-tests', reporter: 'base' });
}

/** The page the suites left open (the detached suite closes the first window and opens another). */
export function currentPage(): Page {
  return ui().page;
}
