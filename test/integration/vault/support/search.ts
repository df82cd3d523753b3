import { spawn } from 'node:child_process';

// Streams a command's stdout (docker export, docker save: hundreds of MB) and reports which needles occur in it,
// including needles split across chunks.

export async function findInCommandOutput(cmd: string, args: string[], needles: readonly string[]): Promise<{ found: string[]; bytes: number }> {
  const bufs = needles.filter((n) => n.length > 0).map((n) => Buffer.from(n));
  const keep = Math.max(0, ...bufs.map((b) => b.length - 1));
  const found = new Set<string>();
  let carry = Buffer.alloc(0);
  let bytes = 0;
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  for await (const chunk of child.stdout) {
    const c = chunk as Buffer;
    bytes += c.length;
    const window = Buffer.concat([carry, c]);
    for (const b of bufs) if (window.includes(b)) found.add(b.toString());
    carry = window.subarray(Math.max(0, window.length - keep));
  }
  const code = await new Promise<number>((r) => child.on('close', (n) => r(n ?? -1)));
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${code}): ${stderr}`);
  return { found: [...found], bytes };
}
