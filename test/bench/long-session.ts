import type { SessionEvent } from '../../src/wire';
import { EventLog } from '../unit/webview/fixtures';

// The session the panel benchmarks replay: a long agentic run, per step a model span and a read, an edit (a diff) or
// a bash call with output, now and then a message with a code block.

export function longSession(count: number): SessionEvent[] {
  const log = new EventLog();
  log.running();
  log.user('refactor the whole codebase');
  for (let step = 0; log.events.length < count; step++) {
    log.span({ input_tokens: 1000 + step, output_tokens: 200 });
    const kind = step % 3;
    if (kind === 0) {
      const use = log.tool('bash', { command: `npm test -- --grep case-${step}` });
      log.result(use.id, Array.from({ length: 30 }, (_, i) => `ok ${i} case-${step}`).join('\n'));
    } else if (kind === 1) {
      const use = log.tool('read', { file_path: `src/module-${step}.ts` });
      log.result(use.id, Array.from({ length: 40 }, (_, i) => `${String(i + 1).padStart(6)}\tconst v${i} = ${i};`).join('\n'));
    } else {
      const use = log.tool('edit', { file_path: `src/module-${step}.ts`, old_string: 'const a = 1;\nconst b = 2;', new_string: 'const a = 1;\nconst b = 3;\nconst c = 4;' });
      log.result(use.id, `Edited src/module-${step}.ts: replaced 1 occurrence. Around the change it now reads:\n    10\tconst a = 1;\n    11\tconst b = 3;\n    12\tconst c = 4;`);
    }
    if (step % 5 === 0) log.agent(`Step ${step}: **all green**.\n\n\`\`\`ts\nexport const step = ${step};\n\`\`\``);
  }
  return log.events.slice(0, count);
}
