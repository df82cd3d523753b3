// The concurrency bench's "no harness" baseline: each session a bare loop in this process that asks the same scripted
// model the same requests (the system prompt, tools and user message Hangar's first request of a session carried,
// then the answers and tool results appended), reads the streamed answer, runs the tool it asks for as the local
// sandbox ultimately runs it, and asks again. Nothing of Hangar's is in between: no log, no events, no validation,
// no checkpoints, no launcher. Its turns and CPU, measured by the same frame as Hangar's (measureCase), are what a
// harness that costs nothing would reach on this machine.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { glob } from 'tinyglobby';
import type { MessagesRequest } from '../../src/model/scripted/script';
import { measureCase, type CaseResult } from './concurrency-case';
import type { ModelWorker } from './concurrency-model';

type Message = MessagesRequest['messages'][number];
/** A content block of the answer as the stream builds it: the fields its start event gave, and what its deltas add. */
type Block = Record<string, unknown> & { type: string };

interface StreamEvent {
  type: string;
  index?: number;
  content_block?: Block;
  delta?: { type: string; text?: string; partial_json?: string; thinking?: string; signature?: string };
}

const END = '__NO_HARNESS_END__';

/**
 * A session's persistent bash, as the local sandbox keeps one (src/tools/shell.ts) but started straight from this
 * process, with each command written on its stdin and followed by an end marker: no launcher, no command file, no
 * saved cwd/env, no output cap.
 */
class Shell {
  private readonly proc: ChildProcessByStdio<Writable, Readable, null>;
  private output = '';
  private waiting: ((output: string) => void) | null = null;

  constructor(cwd: string) {
    this.proc = spawn('bash', ['--noprofile', '--norc'], { cwd, stdio: ['pipe', 'pipe', 'ignore'] });
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (chunk: string) => {
      this.output += chunk;
      const end = this.output.indexOf(END);
      // The marker's line ends after the exit code: until then the rest of it may still be coming.
      const lineEnd = end < 0 ? -1 : this.output.indexOf('\n', end);
      if (lineEnd < 0 || !this.waiting) return;
      const done = this.waiting;
      this.waiting = null;
      const text = this.output.slice(0, end);
      this.output = this.output.slice(lineEnd + 1);
      done(text);
    });
    this.proc.stdin.write('exec 2>&1\n');
  }

  run(command: string): Promise<string> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      // stdin is /dev/null, as for the local sandbox's commands (ripgrep without a path would search a pipe).
      this.proc.stdin.write(`{ ${command}\n} </dev/null\nprintf '\\n${END}%d\\n' $?\n`);
    });
  }

  close(): void {
    this.proc.kill('SIGKILL');
  }
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The tool the model asked for, done the bare way: file tools as plain fs calls in this process (the local sandbox
 * runs them in-process too), glob with the library the local sandbox uses, bash's command in the session's shell, and
 * grep with ripgrep and the local sandbox's arguments, started by that shell (a small process forks it, as a
 * launcher does: a spawn from this process would copy its whole memory each time).
 */
async function runTool(dir: string, shell: Shell, name: string, input: Record<string, unknown>): Promise<string> {
  const file = path.join(dir, String(input.file_path));
  switch (name) {
    case 'bash':
      return shell.run(String(input.command));
    case 'read':
      return readFile(file, 'utf8');
    case 'write':
      await writeFile(file, String(input.content));
      return 'written';
    case 'edit':
      await writeFile(file, (await readFile(file, 'utf8')).replace(String(input.old_string), String(input.new_string)));
      return 'edited';
    case 'glob':
      return (await glob(String(input.pattern), { cwd: dir, dot: true, onlyFiles: true, followSymbolicLinks: false, expandDirectories: false, ignore: ['**/.git/**', '**/node_modules/**'] })).join('\n');
    case 'grep':
      return shell.run(`rg --no-config --line-number --no-heading --with-filename --color never --sort path --max-columns 500 --max-columns-preview --regexp ${quote(String(input.pattern))}`);
    default:
      throw new Error(`no-harness baseline: the script asked for ${name}, which it does not run`);
  }
}

/** The answer's content from its server-sent events, read whole: each block's start, its deltas, its tool input. */
function contentOf(sse: string): Block[] {
  const blocks: Block[] = [];
  const json: string[] = [];
  for (const line of sse.split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const e = JSON.parse(line.slice(6)) as StreamEvent;
    const i = e.index ?? 0;
    const block = blocks[i];
    if (e.type === 'content_block_start' && e.content_block) {
      blocks[i] = e.content_block;
      json[i] = '';
    } else if (e.type === 'content_block_delta' && block && e.delta) {
      if (e.delta.type === 'text_delta') block.text = `${String(block.text)}${e.delta.text}`;
      else if (e.delta.type === 'input_json_delta') json[i] += e.delta.partial_json ?? '';
      else if (e.delta.type === 'thinking_delta') block.thinking = `${String(block.thinking)}${e.delta.thinking}`;
      else if (e.delta.type === 'signature_delta') block.signature = e.delta.signature;
    } else if (e.type === 'content_block_stop' && block?.type === 'tool_use') {
      block.input = JSON.parse(json[i] || '{}');
    }
  }
  return blocks;
}

/** POST /v1/messages with node:http (as Hangar's client sends it), the answer read whole. */
function ask(url: URL, request: MessagesRequest): Promise<Block[]> {
  const body = JSON.stringify(request);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'anthropic-version': '2023-06-01', 'x-api-key': 'k' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(contentOf(text)) : reject(new Error(`no-harness baseline: the model answered ${res.statusCode}: ${text}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * `count` bare sessions, each on a copy of `repo` with a shell of its own (made before the measured frame, as a
 * sandbox is provisioned before its turns), all started at once; the same measurement as Hangar's sessions.
 */
export async function runNoHarnessCase(model: ModelWorker, opening: MessagesRequest, repo: string, count: number, profileFile?: string): Promise<CaseResult> {
  const url = new URL('/v1/messages', model.url);
  const result = await measureCase(
    model,
    count,
    async (marks) => {
      const dirs = Array.from({ length: count }, () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'hangar-bench-noharness-'));
        cpSync(repo, dir, { recursive: true });
        return dir;
      });
      const shells = dirs.map((dir) => new Shell(dir));
      const session = async (i: number) => {
        const messages: Message[] = [opening.messages[0]!];
        for (;;) {
          marks.request(i);
          const content = await ask(url, { ...opening, messages });
          messages.push({ role: 'assistant', content } as Message);
          const use = content.find((b) => b.type === 'tool_use');
          if (!use) return;
          marks.toolUse(i);
          const output = await runTool(dirs[i]!, shells[i]!, String(use.name), use.input as Record<string, unknown>);
          marks.toolResult(i);
          messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: String(use.id), content: output }] } as Message);
        }
      };
      return {
        run: async () => {
          await Promise.all(dirs.map((_, i) => session(i)));
        },
        close: async () => {
          for (const shell of shells) shell.close();
          for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
        },
      };
    },
    profileFile,
  );
  return { sessionIds: [], ...result };
}
