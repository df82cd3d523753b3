import { writeFileSync } from 'node:fs';
import { runSuites } from '../mocha-run';
import { agentSuite } from './agents.test';
import { apiSuite } from './api.test';
import { chatSuite } from './chat.test';
import { approvalSuite } from './approvals.test';
import { bestOfSuite } from './best-of.test';
import { branchSuite } from './branch.test';
import { budgetSuite } from './budgets.test';
import { outcomeSuite } from './outcomes.test';
import { progressSuite } from './progress.test';
import { commandSuite } from './commands.test';
import { credentialKindSuite } from './credential-kinds.test';
import { detachedSuite } from './detached.test';
import { detachedVaultSuite } from './detached-vaults.test';
import { detachedWorkspaceSuite } from './detached-workspace.test';
import { detachedParitySuite } from './detached-parity.test';
import { fileSuite } from './files.test';
import { forkSuite } from './fork.test';
import { mcpSuite } from './mcp.test';
import { memorySuite } from './memory.test';
import { modelProvidersSuite } from './model-providers.test';
import { panelSuite } from './panel.test';
import { reloadSuite } from './reload.test';
import { reviewSuite } from './review.test';
import { secretSuite } from './secrets.test';
import { settingsSuite } from './settings.test';
import { threadSuite } from './threads.test';
import { treeSuite } from './tree.test';

// The tests entry VS Code loads into the extension host (--extensionTestsPath). It runs mocha there, against the
// real `vscode` API, and writes the results to $HANGAR_TEST_RESULTS for test/e2e/run-extension-tests.mjs (and each
// test's start and result, as they happen, to $HANGAR_TEST_RESULTS.progress).

export async function run(): Promise<void> {
  const out = process.env.HANGAR_TEST_RESULTS;
  const results = await runSuites([commandSuite, secretSuite, agentSuite, memorySuite, treeSuite, approvalSuite, budgetSuite, outcomeSuite, progressSuite, panelSuite, chatSuite, reviewSuite, branchSuite, forkSuite, bestOfSuite, fileSuite, mcpSuite, credentialKindSuite, threadSuite, apiSuite, settingsSuite, modelProvidersSuite, reloadSuite, detachedSuite, detachedVaultSuite, detachedParitySuite, detachedWorkspaceSuite], {
    timeout: 60_000,
    grep: process.env.HANGAR_TEST_GREP,
    file: 'extension-tests',
    ...(out ? { progress: `${out}.progress` } : {}),
  });
  if (out) writeFileSync(out, JSON.stringify(results, null, 2));
  else console.log(JSON.stringify(results, null, 2));
}
