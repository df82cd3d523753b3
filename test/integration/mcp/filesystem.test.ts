import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reply } from '../../../src/model/scripted';
import type { SessionEvent } from '../../../src/wire';
import { stdioFilesystem } from '../../support/mcp-servers';
import { makeMcpRuntime, toolNames, type McpTestRuntime } from '../../support/mcp-runtime';

// server-filesystem over stdio, confined to a temp dir: per-tool permission configs, a write that waits for the
// user, and a path outside the allowed dir refused by the server as an error result the model can read.

const byType = <T extends SessionEvent['type']>(events: SessionEvent[], type: T) => events.filter((e): e is Extract<SessionEvent, { type: T }> => e.type === type);
const allow = { type: 'always_allow' } as const;

describe('mcp: server-filesystem over stdio', function () {
  this.timeout(90_000);
  let t: McpTestRuntime | undefined;
  let dir: string;
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'hangar-fs-')));
    writeFileSync(path.join(dir, 'notes.txt'), 'hello from the filesystem server\n');
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists, reads, asks before writing, and refuses a path outside its dir', async () => {
    t = await makeMcpRuntime([
      reply.tool('files__list_directory', { path: dir }),
      reply.tool('files__read_text_file', { path: path.join(dir, 'notes.txt') }),
      reply.tool('files__write_file', { path: path.join(dir, 'out.txt'), content: 'written by the agent\n' }),
      reply.tool('files__read_text_file', { path: '/etc/passwd' }),
      reply.text('done'),
    ]);
    const id = await t.startWith('work with files', [stdioFilesystem('files', dir)], {
      configs: [
        { name: 'list_directory', permission_policy: allow },
        { name: 'read_text_file', permission_policy: allow },
        { name: 'move_file', enabled: false },
      ],
    });
    const first = await t.waitIdle(id);
    const names = toolNames(t, 0);
    assert.ok(names.includes('files__write_file') && names.includes('files__read_text_file'), names.join(', '));
    assert.ok(!names.includes('files__move_file'), 'a disabled tool is not offered');

    const uses = byType(first, 'agent.mcp_tool_use');
    assert.deepEqual(uses.map((u) => [u.name, u.evaluated_permission]), [['list_directory', 'allow'], ['read_text_file', 'allow'], ['write_file', 'ask']]);
    const [listing, read] = byType(first, 'agent.mcp_tool_result');
    assert.match(JSON.stringify(listing?.content), /notes\.txt/);
    assert.match(JSON.stringify(read?.content), /hello from the filesystem server/);
    assert.throws(() => readFileSync(path.join(dir, 'out.txt')), /ENOENT/, 'nothing written before the answer');

    await t.runtime.sessions.send(id, [{ type: 'user.tool_confirmation', tool_use_id: uses[2]!.id, result: 'allow' }]);
    const events = await t.waitIdle(id, 2);
    assert.equal(readFileSync(path.join(dir, 'out.txt'), 'utf8'), 'written by the agent\n');
    const escape = byType(events, 'agent.mcp_tool_result')[3];
    assert.ok(escape?.is_error, 'reading outside the allowed dir is an error result');
    assert.match(JSON.stringify(escape.content), /Access denied|outside allowed/);
    assert.doesNotMatch(JSON.stringify(escape.content), /root:x:0/);
    const idle = events.at(-1);
    assert.ok(idle?.type === 'session.status_idle' && idle.stop_reason.type === 'end_turn');
  });

  it("arguments the tool's schema refuses come back as an error result the model can read", async () => {
    t = await makeMcpRuntime([reply.tool('files__read_text_file', { wrong: 'arguments' }), reply.text('ok')]);
    const id = await t.startWith('bad input', [stdioFilesystem('files', dir)], { policy: allow });
    const events = await t.waitIdle(id);
    const result = byType(events, 'agent.mcp_tool_result')[0];
    assert.ok(result?.is_error);
    assert.match(JSON.stringify(result.content), /path/i);
    assert.equal(byType(events, 'agent.message').length, 1);
  });
});
