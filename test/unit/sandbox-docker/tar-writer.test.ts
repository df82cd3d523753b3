import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { extract } from 'tar-stream';
import { TarWriter, type TarEntry } from '../../../src/sandbox/docker/tar-writer';
import { tmpDir } from '../../support/tmp';

// Copy mode's tar writer: what it writes must read back the same through two independent readers (tar-stream, and the
// system's tar as the engine's Go reader stands for), including names and link targets too long for a ustar header.

const owner = { uid: 1000, gid: 1000 };
const mtime = new Date('2024-05-01T10:00:00Z');
const longDir = `${'d'.repeat(120)}/${'e'.repeat(90)}`;
const entries: TarEntry[] = [
  { name: 'src', type: 'directory', mode: 0o755, mtime, ...owner },
  { name: 'n'.repeat(200), type: 'directory', mode: 0o755, mtime, ...owner },
  { name: 'src/a.txt', type: 'file', mode: 0o644, mtime, content: Buffer.from('hello\n'), ...owner },
  { name: 'run.sh', type: 'file', mode: 0o755, mtime, content: Buffer.alloc(1025, 'x'), ...owner },
  { name: 'empty', type: 'file', mode: 0o600, mtime, content: Buffer.alloc(0), ...owner },
  { name: 'link', type: 'symlink', mode: 0o777, mtime, linkname: 'src/a.txt', ...owner },
  { name: `${longDir}/split.txt`, type: 'file', mode: 0o644, mtime, content: Buffer.from('prefix and name\n'), ...owner },
  { name: `${'n'.repeat(200)}/${'m'.repeat(200)}.txt`, type: 'file', mode: 0o644, mtime, content: Buffer.from('pax path\n'), ...owner },
  { name: 'ünïcödé-名前.txt', type: 'file', mode: 0o644, mtime, content: Buffer.from('utf8\n'), ...owner },
  { name: 'far', type: 'symlink', mode: 0o777, mtime, linkname: `${'t'.repeat(150)}/target`, ...owner },
];

function archive(): Buffer {
  const tar = new TarWriter();
  const chunks: Buffer[] = [];
  for (const e of entries) {
    tar.add(e);
    // Taken mid-way too, as copy mode does once a chunk is full.
    if (tar.bytes > 1000) chunks.push(tar.take());
  }
  chunks.push(tar.end());
  return Buffer.concat(chunks);
}

describe('tar writer (copy mode)', () => {
  it('reads back through tar-stream: names, types, modes, owners, times, contents, link targets', async () => {
    const seen: { name: string; type: string; mode: number; uid: number; gid: number; mtime: number; linkname: string | null; body: string }[] = [];
    const ex = extract();
    ex.on('entry', (h, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (c: unknown) => parts.push(c as Buffer));
      stream.on('end', () => {
        seen.push({ name: h.name, type: h.type ?? '', mode: h.mode ?? 0, uid: h.uid ?? -1, gid: h.gid ?? -1, mtime: h.mtime?.getTime() ?? 0, linkname: h.linkname ?? null, body: Buffer.concat(parts).toString('utf8') });
        next();
      });
    });
    const done = new Promise<void>((resolve, reject) => ex.on('finish', () => resolve()).on('error', reject));
    ex.end(archive());
    await done;
    assert.deepEqual(
      seen.map((s) => [s.name.replace(/\/$/, ''), s.type, s.mode, s.uid, s.gid, s.mtime, s.type === 'symlink' ? s.linkname : s.body]),
      entries.map((e) => [e.name, e.type, e.mode, 1000, 1000, mtime.getTime(), e.type === 'symlink' ? e.linkname : (e.content?.toString('utf8') ?? '')]),
    );
  });

  it('extracts with the system tar to the same files', () => {
    const dir = tmpDir('tarw');
    const file = path.join(dir, 'a.tar');
    fs.writeFileSync(file, archive());
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    execFileSync('tar', ['-xf', file, '-C', out]);
    for (const e of entries) {
      const abs = path.join(out, e.name);
      if (e.type === 'file') assert.equal(fs.readFileSync(abs).toString('utf8'), e.content?.toString('utf8'), e.name);
      if (e.type === 'symlink') assert.equal(fs.readlinkSync(abs), e.linkname, e.name);
      if (e.type === 'directory') assert.ok(fs.statSync(abs).isDirectory());
    }
    assert.equal(fs.statSync(path.join(out, 'run.sh')).mode & 0o777, 0o755);
  });
});
