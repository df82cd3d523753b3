import type { Workbench } from './workbench-page';

// The steps several UI suites start with, through the UI only: the API key saved in secret storage, then an agent made
// with the New Agent wizard's defaults (bash asks first; the other tools run without asking).

const API_KEY = 'sk-ant-ui-test-0123456789';

export async function setKeyAndNewAgent(wb: Workbench, agent: string): Promise<void> {
  await wb.command('Hangar: Set API Key');
  await wb.answer('Set API Key', API_KEY);
  await wb.notification('API key saved in secret storage');
  await wb.clearNotifications();
  await wb.command('Hangar: New Agent');
  await wb.answer('(1/5)', agent);
  for (const step of ['(2/5)', '(3/5)', '(4/5)', '(5/5)']) await wb.accept(step);
  await wb.notification(`created agent ${agent}`);
  await wb.clearNotifications();
}

/** Starts the agent on the workspace's repository from the palette with the task typed into the task box. */
export async function startAgentWithTask(wb: Workbench, agent: string, task: string): Promise<void> {
  await wb.command('Hangar: Start Agent on This Repository');
  await wb.pick(agent);
  await wb.answer('What should the agent do?', task);
}
