import assert from 'node:assert/strict';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createToolHost } from '../../../src/tools/host-impl';
import { fixture, processAlive, text, waitFor, type Fixture } from './helpers';

async function readPid(file: string): Promise<number> {
  await waitFor(async () => (await readFile(file, 'utf8').catch(() => '')).trim() !== '', `pid file ${file}`);
  return Number((await readFile(file, 'utf8')).trim());
}

describe('tools: bash', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture({ defaultTimeoutMs: 20_000 });
  });
  afterEach(async () => {
    await f.cleanup();
  });

  it('runs in the workspace root and merges stdout and stderr in order', async () => {
    const out = await f.run('bash', { command: 'pwd; echo out; echo err >&2; echo out2' });
    assert.equal(out.is_error, false);
    assert.equal(text(out), `${f.root}\nout\nerr\nout2`);
  });

  it('keeps the working directory and exported variables across calls', async () => {
    await f.run('bash', { command: 'mkdir -p a/b && cd a/b && export GREETING="hi there" && LOCAL_ONLY=1' });
    const out = await f.run('bash', { command: 'pwd; echo "$GREETING"; echo "${LOCAL_ONLY:-unset}"' });
    assert.equal(text(out), `${path.join(f.root, 'a/b')}\nhi there\n1`);
  });

  it('enters its directory again when it was removed and made again meanwhile (a rewind, another shell)', async () => {
    await f.run('bash', { command: 'mkdir -p out && cd out && echo a > a.txt' });
    await rm(path.join(f.root, 'out'), { recursive: true });
    await mkdir(path.join(f.root, 'out'));
    await writeFile(path.join(f.root, 'out/b.txt'), 'b\n');
    assert.equal(text(await f.run('bash', { command: 'pwd; ls; echo c > c.txt && cat c.txt' })), `${path.join(f.root, 'out')}\nb.txt\nc`);
    assert.equal(text(await f.run('bash', { command: 'cd -' })), f.root, '`cd -` still goes where it was before');
    await f.run('bash', { command: 'cd out' });
    await rm(path.join(f.root, 'out'), { recursive: true });
    assert.equal(text(await f.run('bash', { command: 'pwd; ls' })), path.join(f.root, 'out'), 'gone for good: it stays where it was');
  });

  it('reports a non-zero exit code in the text without marking the call an error', async () => {
    const out = await f.run('bash', { command: 'echo failing; exit_code() { return 3; }; exit_code' });
    assert.equal(out.is_error, false);
    assert.equal(text(out), 'failing\n[exit code 3]');
  });

  it('says "(no output)" for a silent success', async () => {
    assert.equal(text(await f.run('bash', { command: 'true' })), '(no output)');
  });

  it('gives commands /dev/null as stdin so reading stdin does not hang the shell', async () => {
    const out = await f.run('bash', { command: 'cat; read -r line; echo "read=$? line=[$line]"' });
    assert.equal(text(out), 'read=1 line=[]');
  });

  it('reports a syntax error as bash does and keeps working', async () => {
    const bad = await f.run('bash', { command: 'echo "unterminated' });
    assert.match(text(bad), /^bash: line 1: unexpected EOF while looking for matching `"'/);
    assert.match(text(bad), /\[exit code 2\]$/);
    assert.doesNotMatch(text(bad), /command\.sh/);
    assert.equal(text(await f.run('bash', { command: 'echo still alive' })), 'still alive');
  });

  it('cuts huge output in the middle with a notice and keeps head and tail', async () => {
    const small = await fixture({ maxOutputChars: 1000 });
    try {
      const out = await small.run('bash', { command: 'echo START; yes | head -c 5000000; echo END' });
      const shown = text(out);
      assert.equal(out.is_error, false);
      assert.ok(shown.startsWith('START\ny\n'));
      assert.ok(shown.endsWith('y\nEND'));
      const cut = /\[… about (\d+) characters cut …\]/.exec(shown);
      assert.ok(cut, shown.slice(0, 200));
      // "START\n" + 5,000,000 + "END\n", minus the 1000 characters shown.
      assert.equal(Number(cut[1]), 6 + 5_000_000 + 4 - 1000);
      assert.ok(shown.length < 1100);
    } finally {
      await small.cleanup();
    }
  });

  it('cuts output exactly when it fits in memory', async () => {
    const small = await fixture({ maxOutputChars: 100 });
    try {
      const shown = text(await small.run('bash', { command: 'seq 1 1000' }));
      const full = Array.from({ length: 1000 }, (_, i) => `${i + 1}\n`).join('');
      const cut = Number(/\[… (\d+) characters cut …\]/.exec(shown)?.[1]);
      assert.equal(cut, full.length - 100);
      assert.ok(shown.startsWith(full.slice(0, 50)));
      assert.ok(shown.endsWith(full.slice(-50, -1)));
    } finally {
      await small.cleanup();
    }
  });

  it('replaces binary output (NUL bytes or invalid UTF-8) by a notice with its size', async () => {
    const nul = await f.run('bash', { command: "printf 'abc\\0def'" });
    assert.equal(nul.is_error, false);
    assert.match(text(nul), /^\[binary output \(7 bytes\) not shown;/);
    const latin1 = await f.run('bash', { command: "printf 'caf\\xe9\\n'" });
    assert.match(text(latin1), /^\[binary output \(5 bytes\) not shown;/);
    assert.equal(text(await f.run('bash', { command: 'echo "héllo ✓"' })), 'héllo ✓');
  });

  it('strips ANSI colour codes', async () => {
    assert.equal(text(await f.run('bash', { command: "printf '\\033[31mred\\033[0m\\n'" })), 'red');
  });

  it('times out: kills the command and its children, then restores cwd and env', async () => {
    await f.run('bash', { command: 'mkdir sub && cd sub && export KEEP=yes' });
    const pidFile = path.join(f.parent, 'child.pid');
    const out = await f.run('bash', { command: `bash -c 'sleep 100 & echo $! > ${pidFile}; wait'; echo never`, timeout_ms: 1000 });
    assert.equal(out.is_error, true);
    assert.match(text(out), /timed out after 1000 ms/);
    assert.ok(text(out).includes(`the shell restarted in ${path.join(f.root, 'sub')} with the environment`), text(out));
    assert.doesNotMatch(text(out), /never/);
    const child = await readPid(pidFile);
    await waitFor(async () => !(await processAlive(child)), 'the sleep child to be gone');
    const after = await f.run('bash', { command: 'pwd; echo $KEEP' });
    assert.equal(text(after), `${path.join(f.root, 'sub')}\nyes`);
  });

  it('kills background jobs of the shell on timeout too', async () => {
    const pidFile = path.join(f.parent, 'bg.pid');
    await f.run('bash', { command: `sleep 100 > /dev/null 2>&1 & echo $! > ${pidFile}` });
    const bg = await readPid(pidFile);
    assert.equal(await processAlive(bg), true);
    const out = await f.run('bash', { command: 'sleep 100', timeout_ms: 200 });
    assert.equal(out.is_error, true);
    await waitFor(async () => !(await processAlive(bg)), 'the background job to be gone');
  });

  it('aborts a running command through the signal, kills its children and keeps cwd', async () => {
    await f.run('bash', { command: 'mkdir d && cd d' });
    const pidFile = path.join(f.parent, 'abort.pid');
    const controller = new AbortController();
    const running = f.run('bash', { command: `sleep 100 & echo $! > ${pidFile}; wait` }, controller.signal);
    const child = await readPid(pidFile);
    controller.abort();
    const out = await running;
    assert.equal(out.is_error, true);
    assert.match(text(out), /command aborted/);
    await waitFor(async () => !(await processAlive(child)), 'the aborted child to be gone');
    assert.equal(text(await f.run('bash', { command: 'pwd' })), path.join(f.root, 'd'));
  });

  it('does not start a command when the signal is already aborted', async () => {
    const marker = path.join(f.parent, 'ran');
    const out = await f.run('bash', { command: `touch ${marker}` }, AbortSignal.abort());
    assert.equal(out.is_error, true);
    await assert.rejects(stat(marker));
  });

  it('restart: true gives a fresh shell at the root with a clean environment', async () => {
    await f.run('bash', { command: 'mkdir x && cd x && export GONE=1' });
    const only = await f.run('bash', { restart: true });
    assert.equal(only.is_error, false);
    assert.match(text(only), /Shell restarted/);
    const out = await f.run('bash', { restart: true, command: 'pwd; echo "[${GONE:-}]"' });
    assert.equal(text(out), `[shell restarted]\n${f.root}\n[]`);
  });

  it('comes back after the shell exits, in the last directory', async () => {
    await f.run('bash', { command: 'mkdir e && cd e' });
    const out = await f.run('bash', { command: 'echo bye; exit 4' });
    assert.equal(out.is_error, false);
    assert.equal(text(out), `bye\n[the shell exited with code 4; the next command starts a new shell in ${path.join(f.root, 'e')}]`);
    assert.equal(text(await f.run('bash', { command: 'pwd' })), path.join(f.root, 'e'));
  });

  it('serializes concurrent calls on the one shell', async () => {
    const outs = await Promise.all([1, 2, 3, 4].map((n) => f.run('bash', { command: `sleep 0.0${n}; echo ${n}` })));
    assert.deepEqual(outs.map(text), ['1', '2', '3', '4']);
  });

  it('does not pass host secrets into the shell but passes the configured env', async () => {
    process.env.ANTHROPIC_API_KEY = 'sk-test-secret';
    const g = await fixture({ env: { PROJECT_FLAG: 'on' } });
    try {
      const out = text(await g.run('bash', { command: 'env' }));
      assert.doesNotMatch(out, /sk-test-secret/);
      assert.match(out, /^PROJECT_FLAG=on$/m);
      assert.match(out, /^TERM=dumb$/m);
    } finally {
      delete process.env.ANTHROPIC_API_KEY;
      await g.cleanup();
    }
  });

  it('a new host on the same state dir resumes in the saved cwd and env', async () => {
    const stateDir = path.join(f.parent, 'state');
    const first = createToolHost({ root: f.root, stateDir });
    await first.run('bash', { command: 'mkdir -p r && cd r && export RESUMED=1' });
    await first.dispose();
    const second = createToolHost({ root: f.root, stateDir });
    try {
      assert.equal(text(await second.run('bash', { command: 'pwd; echo $RESUMED' })), `${path.join(f.root, 'r')}\n1`);
    } finally {
      await second.dispose();
    }
  });

  it('refuses to run after dispose', async () => {
    const host = createToolHost({ root: f.root });
    await host.dispose();
    const out = await host.run('bash', { command: 'echo hi' });
    assert.equal(out.is_error, true);
    assert.match(text(out), /shut down/);
  });
});
