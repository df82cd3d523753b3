import assert from 'node:assert/strict';
import { chmod, mkdir, realpath, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GLOB_MAX_RESULTS } from '../../../src/tools/glob';
import { findRipgrep, runGrep } from '../../../src/tools/grep';
import { fixture, text, type Fixture } from './helpers';

async function put(root: string, rel: string, data: string | Buffer, mtimeSeconds?: number): Promise<void> {
  const file = path.join(root, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, data);
  if (mtimeSeconds !== undefined) await utimes(file, mtimeSeconds, mtimeSeconds);
}

describe('tools: glob', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
    await put(f.root, 'src/old.ts', 'x', 1_000_000);
    await put(f.root, 'src/deep/new.ts', 'x', 3_000_000);
    await put(f.root, 'src/mid.ts', 'x', 2_000_000);
    await put(f.root, 'README.md', 'x');
    await put(f.root, '.github/ci.yml', 'x');
    await put(f.root, 'node_modules/pkg/index.ts', 'x');
    await put(f.root, '.git/config.ts', 'x');
  });
  afterEach(async () => {
    await f.cleanup();
  });

  it('matches ** patterns relative to the root, newest first', async () => {
    const out = await f.run('glob', { pattern: '**/*.ts' });
    assert.equal(out.is_error, false);
    assert.equal(text(out), 'src/deep/new.ts\nsrc/mid.ts\nsrc/old.ts');
  });

  it('searches under path but prints paths relative to the root', async () => {
    assert.equal(text(await f.run('glob', { pattern: '*.ts', path: 'src' })), 'src/mid.ts\nsrc/old.ts');
  });

  it('includes dot files, and .git / node_modules only when the pattern names them', async () => {
    assert.match(text(await f.run('glob', { pattern: '**/*.yml' })), /^\.github\/ci\.yml$/);
    assert.equal(text(await f.run('glob', { pattern: 'node_modules/**/*.ts' })), 'node_modules/pkg/index.ts');
    assert.equal(text(await f.run('glob', { pattern: '.git/*.ts' })), '.git/config.ts');
  });

  it('does not follow a symlinked directory out of the root', async () => {
    await mkdir(path.join(f.parent, 'outside'));
    await put(f.parent, 'outside/secret.ts', 'x');
    await symlink(path.join(f.parent, 'outside'), path.join(f.root, 'link'));
    assert.doesNotMatch(text(await f.run('glob', { pattern: '**/*.ts' })), /secret/);
  });

  it('says when nothing matches and refuses absolute or ascending patterns', async () => {
    assert.equal(text(await f.run('glob', { pattern: '**/*.rs' })), 'No files match "**/*.rs" under ..');
    for (const pattern of ['/etc/*', '../*', 'src/{..,x}/*']) {
      const out = await f.run('glob', { pattern });
      assert.equal(out.is_error, true, pattern);
    }
    const file = await f.run('glob', { pattern: '*', path: 'README.md' });
    assert.equal(file.is_error, true);
    assert.match(text(file), /not a directory/);
  });

  it('caps the result list with a notice', async () => {
    await Promise.all(Array.from({ length: GLOB_MAX_RESULTS + 5 }, (_, i) => put(f.root, `many/f${i}.txt`, 'x')));
    const lines = text(await f.run('glob', { pattern: 'many/*.txt' })).split('\n');
    assert.equal(lines.length, GLOB_MAX_RESULTS + 1);
    assert.equal(lines[GLOB_MAX_RESULTS], `[showing the ${GLOB_MAX_RESULTS} newest of ${GLOB_MAX_RESULTS + 5} matches; narrow the pattern or path]`);
  });
});

describe('tools: grep', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
    await put(f.root, 'a.txt', 'hello world\nnothing\nHello again\n');
    await put(f.root, 'sub/b.ts', 'const hello = 1;\n');
    await put(f.root, 'sub/long.txt', `hello ${'z'.repeat(2000)}\n`);
    await put(f.root, 'bin.dat', Buffer.from('hello\0binary'));
    await put(f.root, '.hidden.txt', 'hello\n');
    await put(f.root, '.gitignore', 'ignored/\n');
    await put(f.root, 'ignored/c.txt', 'hello\n');
    await put(f.root, 'sub/.gitignore', '*.log\n');
    await put(f.root, 'sub/x.log', 'hello\n');
  });
  afterEach(async () => {
    await f.cleanup();
  });

  const expected = ['a.txt:1:hello world', `sub/b.ts:1:const hello = 1;`, `sub/long.txt:1:hello ${'z'.repeat(494)} [... omitted end of long line]`];
  // The same expectations hold for both engines; without rg on PATH the second set runs the fallback again.
  const engines: [string, () => Promise<string | null>][] = [
    ['JS fallback', async () => null],
    ['ripgrep (when on PATH)', () => findRipgrep('/')],
  ];

  for (const [name, engine] of engines) {
    it(`${name}: prints path:line:text sorted by path, skipping binary, hidden and ignored files`, async () => {
      const root = await realpath(f.root);
      const out = await runGrep(root, { pattern: 'hello' }, 30_000, await engine());
      assert.equal(text(out), expected.join('\n'));
    });

    it(`${name}: searches a subdirectory or a single file given as path`, async () => {
      const root = await realpath(f.root);
      assert.equal(text(await runGrep(root, { pattern: 'hel+o', path: 'sub/b.ts' }, 30_000, await engine())), 'sub/b.ts:1:const hello = 1;');
      assert.equal(text(await runGrep(root, { pattern: '^const', path: 'sub' }, 30_000, await engine())), 'sub/b.ts:1:const hello = 1;');
    });

    it(`${name}: reports no matches, and caps output with a notice`, async () => {
      const root = await realpath(f.root);
      assert.equal(text(await runGrep(root, { pattern: 'absent' }, 30_000, await engine())), 'No matches for "absent" in ..');
      await put(f.root, 'many.txt', Array.from({ length: 5000 }, (_, i) => `match ${i}`).join('\n'));
      const capped = text(await runGrep(root, { pattern: 'match', path: 'many.txt' }, 1000, await engine()));
      const lines = capped.split('\n');
      assert.equal(lines[0], 'many.txt:1:match 0');
      assert.equal(lines.at(-1), '[more matches not shown: output is limited to 1000 characters; narrow the pattern or path]');
      assert.ok(capped.length < 1200);
    });

    it(`${name}: explains an invalid regex`, async () => {
      const root = await realpath(f.root);
      await assert.rejects(runGrep(root, { pattern: '(unclosed' }, 30_000, await engine()), /invalid regular expression "\(unclosed"/);
    });
  }

  it('the host reports an invalid regex as an is_error outcome', async () => {
    const out = await f.run('grep', { pattern: '[' });
    assert.equal(out.is_error, true);
    assert.match(text(out), /invalid regular expression "\["/);
  });

  it('the JS fallback stops a catastrophically backtracking pattern when aborted', async () => {
    const root = await realpath(f.root);
    await put(f.root, 'redos.txt', `${'a'.repeat(40)}!\n`);
    const controller = new AbortController();
    const search = runGrep(root, { pattern: '^(a+)+$', path: 'redos.txt' }, 30_000, null, controller.signal);
    setTimeout(() => controller.abort(), 200);
    await assert.rejects(search, /grep was aborted/);
  });

  it('findRipgrep ignores an rg planted inside the workspace', async () => {
    await put(f.root, 'bin/rg', '#!/bin/sh\necho planted\n');
    await chmod(path.join(f.root, 'bin/rg'), 0o755);
    assert.equal(await findRipgrep(f.root, path.join(f.root, 'bin')), null);
    // The same binary is fine for a workspace it does not live in.
    assert.equal(await findRipgrep(path.join(f.root, 'sub'), path.join(f.root, 'bin')), await realpath(path.join(f.root, 'bin/rg')));
  });

  it('findRipgrep walks a PATH once per process, and again while it had no rg (one installed since is found)', async () => {
    const later = path.join(f.root, 'later');
    assert.equal(await findRipgrep(path.join(f.root, 'sub'), later), null);
    await put(f.root, 'later/rg', '#!/bin/sh\necho installed\n');
    await chmod(path.join(later, 'rg'), 0o755);
    const rg = await realpath(path.join(later, 'rg'));
    assert.equal(await findRipgrep(path.join(f.root, 'sub'), later), rg);
    // Found once, it is not looked up again, and the workspace check still applies per root.
    await put(f.root, 'later/rg', 'no longer a program');
    await chmod(path.join(later, 'rg'), 0o644);
    assert.equal(await findRipgrep(path.join(f.root, 'sub'), later), rg);
    assert.equal(await findRipgrep(f.root, later), null);
  });
});
