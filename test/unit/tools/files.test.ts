import assert from 'node:assert/strict';
import { chmod, link, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { READ_MAX_LINES } from '../../../src/tools/read';
import { fixture, text, type Fixture } from './helpers';

// 1x1 transparent PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

describe('tools: read / write / edit', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });
  afterEach(async () => {
    await f.cleanup();
  });
  const put = (rel: string, data: string | Buffer) => mkdir(path.dirname(path.join(f.root, rel)), { recursive: true }).then(() => writeFile(path.join(f.root, rel), data));
  const get = (rel: string) => readFile(path.join(f.root, rel), 'utf8');

  describe('read', () => {
    it('numbers lines cat -n style and honours view_range (end <= 0 = end of file)', async () => {
      await put('a.txt', 'one\ntwo\nthree\nfour');
      assert.equal(text(await f.run('read', { file_path: 'a.txt' })), '     1\tone\n     2\ttwo\n     3\tthree\n     4\tfour');
      assert.equal(text(await f.run('read', { file_path: 'a.txt', view_range: [2, 3] })), '     2\ttwo\n     3\tthree');
      assert.equal(text(await f.run('read', { file_path: 'a.txt', view_range: [3, 0] })), '     3\tthree\n     4\tfour');
      assert.equal(text(await f.run('read', { file_path: 'a.txt', view_range: [4, -1] })), '     4\tfour');
    });

    it('shows CRLF lines without the \\r and says when a file is empty', async () => {
      await put('crlf.txt', 'a\r\nb\r\n');
      assert.equal(text(await f.run('read', { file_path: 'crlf.txt' })), '     1\ta\n     2\tb');
      await put('empty.txt', '');
      assert.equal(text(await f.run('read', { file_path: 'empty.txt' })), '[empty.txt is empty]');
    });

    it('refuses a view_range that starts after the end, and bad ranges', async () => {
      await put('a.txt', 'one\ntwo\n');
      const past = await f.run('read', { file_path: 'a.txt', view_range: [5, 9] });
      assert.equal(past.is_error, true);
      assert.match(text(past), /has 2 lines; view_range starts at line 5/);
      for (const range of [[0, 3], [3, 2], [1], 'all', [1.5, 2]]) {
        const out = await f.run('read', { file_path: 'a.txt', view_range: range });
        assert.equal(out.is_error, true, JSON.stringify(range));
        assert.match(text(out), /view_range/);
      }
    });

    it('stops at the line cap and says how to continue', async () => {
      await put('long.txt', Array.from({ length: 5000 }, (_, i) => `line ${i + 1}`).join('\n'));
      const first = text(await f.run('read', { file_path: 'long.txt' }));
      const lines = first.split('\n');
      assert.equal(lines.length, READ_MAX_LINES + 1);
      assert.equal(lines[READ_MAX_LINES - 1], `  2000\tline 2000`);
      assert.equal(lines[READ_MAX_LINES], '[showing lines 1-2000 of 5000; call read with view_range [2001, 4000] to continue]');
      const next = text(await f.run('read', { file_path: 'long.txt', view_range: [4999, 0] }));
      assert.equal(next, '  4999\tline 4999\n  5000\tline 5000');
    });

    it('stops at the byte cap and shortens very long lines', async () => {
      await put('wide.txt', `${'x'.repeat(10_000)}\n${Array.from({ length: 400 }, () => 'y'.repeat(1000)).join('\n')}\n`);
      const out = text(await f.run('read', { file_path: 'wide.txt' }));
      assert.match(out.split('\n')[0] as string, /^ {5}1\tx{2000} \[… line cut; 10000 bytes in total\]$/);
      assert.match(out, /\[showing lines 1-\d+ of 401; call read with view_range \[\d+, \d+\] to continue\]$/);
      assert.ok(Buffer.byteLength(out) <= 256 * 1024 + 200);
    });

    it('refuses binary files with their size and a hint; returns images as image blocks', async () => {
      await put('blob.bin', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]));
      const bin = await f.run('read', { file_path: 'blob.bin' });
      assert.equal(bin.is_error, true);
      assert.match(text(bin), /blob\.bin is a binary file \(8 bytes\).*xxd/);
      await put('pixel.png', PNG);
      const img = await f.run('read', { file_path: 'pixel.png' });
      assert.equal(img.is_error, false);
      const block = img.content[1];
      assert.equal(block?.type, 'image');
      assert.deepEqual(block?.type === 'image' && block.source, { type: 'base64', media_type: 'image/png', data: PNG.toString('base64') });
    });

    it('marks invalid UTF-8 text instead of refusing it', async () => {
      await put('latin1.txt', Buffer.from('caf\xe9\n', 'latin1'));
      const out = text(await f.run('read', { file_path: 'latin1.txt' }));
      assert.equal(out, '     1\tcaf\uFFFD\n[the file is not valid UTF-8; undecodable bytes are shown as U+FFFD]');
    });

    it('points directories to glob and reports missing files', async () => {
      await mkdir(path.join(f.root, 'dir'));
      const dir = await f.run('read', { file_path: 'dir' });
      assert.equal(dir.is_error, true);
      assert.match(text(dir), /dir is a directory; use glob/);
      const missing = await f.run('read', { file_path: 'nope.txt' });
      assert.equal(missing.is_error, true);
      assert.match(text(missing), /nope\.txt: no such file or directory; use glob/);
    });

    it('refuses FIFOs without blocking on them', async () => {
      execFileSync('mkfifo', [path.join(f.root, 'pipe')]);
      const out = await f.run('read', { file_path: 'pipe' });
      assert.equal(out.is_error, true);
      assert.match(text(out), /not a regular file/);
    });
  });

  describe('write', () => {
    it('creates parent directories, reports bytes, overwrites and keeps the mode', async () => {
      const created = await f.run('write', { file_path: 'deep/er/new.txt', content: 'héllo\n' });
      assert.equal(created.is_error, false);
      assert.equal(text(created), 'Wrote 7 bytes to deep/er/new.txt (new file).');
      assert.equal(await get('deep/er/new.txt'), 'héllo\n');
      await chmod(path.join(f.root, 'deep/er/new.txt'), 0o751);
      assert.match(text(await f.run('write', { file_path: 'deep/er/new.txt', content: 'x' })), /replaced its content/);
      assert.equal(await get('deep/er/new.txt'), 'x');
      assert.equal((await stat(path.join(f.root, 'deep/er/new.txt'))).mode & 0o777, 0o751);
    });

    it('does not write through a hard link to a file elsewhere', async () => {
      await writeFile(path.join(f.parent, 'elsewhere.txt'), 'original');
      await link(path.join(f.parent, 'elsewhere.txt'), path.join(f.root, 'hard.txt'));
      await f.run('write', { file_path: 'hard.txt', content: 'changed' });
      assert.equal(await readFile(path.join(f.parent, 'elsewhere.txt'), 'utf8'), 'original');
      assert.equal(await get('hard.txt'), 'changed');
    });

    it('refuses directories and paths under a file', async () => {
      await mkdir(path.join(f.root, 'dir'));
      const dir = await f.run('write', { file_path: 'dir', content: 'x' });
      assert.equal(dir.is_error, true);
      assert.match(text(dir), /dir is a directory/);
      await put('file', 'x');
      const under = await f.run('write', { file_path: 'file/child.txt', content: 'x' });
      assert.equal(under.is_error, true);
      assert.match(text(under), /not a directory|already exists/);
    });
  });

  describe('edit', () => {
    it('replaces a unique match and shows the result with line numbers', async () => {
      await put('e.ts', 'const a = 1;\nconst b = 2;\nconst c = 3;\n');
      const out = await f.run('edit', { file_path: 'e.ts', old_string: 'const b = 2;', new_string: 'const b = 20;\nconst bb = 21;' });
      assert.equal(out.is_error, false);
      assert.equal(await get('e.ts'), 'const a = 1;\nconst b = 20;\nconst bb = 21;\nconst c = 3;\n');
      assert.equal(text(out), 'Edited e.ts: replaced 1 occurrence. Around the change it now reads:\n     1\tconst a = 1;\n     2\tconst b = 20;\n     3\tconst bb = 21;\n     4\tconst c = 3;');
    });

    it('says when old_string is missing, and how often an ambiguous one occurs', async () => {
      await put('e.txt', 'x = 1\nx = 1\nx = 1\n');
      const missing = await f.run('edit', { file_path: 'e.txt', old_string: 'y = 1', new_string: 'y = 2' });
      assert.equal(missing.is_error, true);
      assert.match(text(missing), /old_string was not found in e\.txt.*read the file/s);
      const ambiguous = await f.run('edit', { file_path: 'e.txt', old_string: 'x = 1', new_string: 'x = 2' });
      assert.equal(ambiguous.is_error, true);
      assert.match(text(ambiguous), /occurs 3 times in e\.txt.*replace_all/);
      assert.equal(await get('e.txt'), 'x = 1\nx = 1\nx = 1\n');
      const all = await f.run('edit', { file_path: 'e.txt', old_string: 'x = 1', new_string: 'x = $&2', replace_all: true });
      assert.equal(all.is_error, false);
      assert.match(text(all), /replaced 3 occurrences/);
      assert.equal(await get('e.txt'), 'x = $&2\nx = $&2\nx = $&2\n');
    });

    it('refuses identical strings, an empty old_string, binary files and missing files', async () => {
      await put('e.txt', 'abc\n');
      const same = await f.run('edit', { file_path: 'e.txt', old_string: 'abc', new_string: 'abc' });
      assert.equal(same.is_error, true);
      assert.match(text(same), /identical/);
      const empty = await f.run('edit', { file_path: 'e.txt', old_string: '', new_string: 'x' });
      assert.equal(empty.is_error, true);
      assert.match(text(empty), /old_string: must not be empty; use write/);
      await put('b.bin', Buffer.from([1, 0, 2]));
      const bin = await f.run('edit', { file_path: 'b.bin', old_string: 'a', new_string: 'b' });
      assert.equal(bin.is_error, true);
      assert.match(text(bin), /binary or not valid UTF-8/);
      const missing = await f.run('edit', { file_path: 'none.txt', old_string: 'a', new_string: 'b' });
      assert.equal(missing.is_error, true);
      assert.match(text(missing), /no such file or directory; edit changes existing files, use write/);
    });

    it('keeps CRLF line endings and the file mode', async () => {
      await put('win.txt', 'line one\r\nline two\r\nline three\r\n');
      await chmod(path.join(f.root, 'win.txt'), 0o755);
      const out = await f.run('edit', { file_path: 'win.txt', old_string: 'line one\nline two', new_string: 'first\nsecond\nextra' });
      assert.equal(out.is_error, false, text(out));
      assert.equal(await get('win.txt'), 'first\r\nsecond\r\nextra\r\nline three\r\n');
      assert.equal((await stat(path.join(f.root, 'win.txt'))).mode & 0o777, 0o755);
    });

    it('keeps LF files LF and a missing trailing newline missing', async () => {
      await put('lf.txt', 'a\nb');
      await f.run('edit', { file_path: 'lf.txt', old_string: 'b', new_string: 'c\nd' });
      assert.equal(await get('lf.txt'), 'a\nc\nd');
    });
  });
});
