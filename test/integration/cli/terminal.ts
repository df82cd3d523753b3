import { spawn } from 'node:child_process';

// A command under a pseudo-terminal (util-linux `script`), and the text a terminal would show at the end: carriage
// returns, line erases and colours applied, so a line a spinner erased is gone as it is for the user.

export interface TerminalRun {
  code: number | null;
  raw: string;
  /** Writes to the command's terminal once `raw` contains `prompt`. */
  answer(prompt: RegExp, text: string, afterMs: number): void;
  done: Promise<number | null>;
}

export function inTerminal(argv: string[], env: NodeJS.ProcessEnv): TerminalRun {
  const line = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qfec', line, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const waits: { prompt: RegExp; text: string; afterMs: number }[] = [];
  const run: TerminalRun = {
    code: null,
    raw: '',
    answer: (prompt, text, afterMs) => void waits.push({ prompt, text, afterMs }),
    done: new Promise((resolve) => child.on('exit', (code) => resolve((run.code = code)))),
  };
  child.stdout.on('data', (c: Buffer) => {
    run.raw += c.toString();
    for (const w of [...waits]) {
      if (!w.prompt.test(run.raw)) continue;
      waits.splice(waits.indexOf(w), 1);
      setTimeout(() => child.stdin.write(w.text), w.afterMs);
    }
  });
  void run.done.then(() => child.stdin.end());
  return run;
}

// The part of a control sequence after ESC.
const CSI = /^\[([0-9;?]*)([A-Za-z])/;

export function screenText(raw: string): string {
  const lines: string[] = [''];
  let row = 0;
  let col = 0;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string;
    if (ch === '\x1b') {
      const m = CSI.exec(raw.slice(i + 1));
      if (m) {
        if (m[2] === 'K') lines[row] = m[1] === '2' ? '' : (lines[row] ?? '').slice(0, col);
        i += m[0].length;
      }
      continue;
    }
    if (ch === '\r') col = 0;
    else if (ch === '\n') {
      row += 1;
      col = 0;
      lines[row] ??= '';
    } else {
      const cur = (lines[row] ?? '').padEnd(col);
      lines[row] = cur.slice(0, col) + ch + cur.slice(col + 1);
      col += 1;
    }
  }
  return lines.join('\n');
}
