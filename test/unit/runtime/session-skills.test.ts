import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SessionSkills, workspaceSkills } from '../../../src/runtime/session-skills';
import { SkillStore } from '../../../src/runtime/skills';
import { DEFAULT_MODEL } from '../../../src/model/types';
import type { SessionAgent } from '../../../src/wire';

// Workspace skills as a session takes them: broken ones are warnings, twins and over-limit folders are left out, and a
// symbolic link in a skill folder (which could point at any host file) is never copied into the session.

const skillMd = (name: string, description = `${name} things`) => `---\nname: ${name}\ndescription: ${description}\n---\nbody of ${name}\n`;

describe('session skills', () => {
  let root: string;
  let repo: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'hangar-skills-'));
    repo = path.join(root, 'repo');
    const put = (rel: string, text: string) => {
      mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
      writeFileSync(path.join(repo, rel), text);
    };
    put('.claude/skills/alpha/SKILL.md', skillMd('alpha'));
    put('.claude/skills/alpha/ref/more.md', 'more');
    put('.claude/skills/not-a-skill/notes.md', 'no SKILL.md here');
    put('.hangar/skills/alpha-again/SKILL.md', skillMd('alpha'));
    put('.hangar/skills/broken/SKILL.md', '---\nname: broken\n');
    put('.hangar/skills/huge/SKILL.md', skillMd('huge'));
    put('.hangar/skills/huge/blob.bin', 'x'.repeat(8 * 1024 * 1024 + 1));
    writeFileSync(path.join(root, 'secret.txt'), 'host secret');
    symlinkSync(path.join(root, 'secret.txt'), path.join(repo, '.claude/skills/alpha/leak.txt'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('takes usable skills and says why each other one is left out', async () => {
    const warnings: string[] = [];
    const skills = await workspaceSkills(repo, warnings);
    assert.deepEqual(skills.map((s) => [s.name, s.origin]), [['alpha', '.claude/skills/alpha']]);
    assert.equal(warnings.length, 3, warnings.join('\n'));
    assert.match(warnings[0]!, /\.hangar\/skills\/alpha-again is left out: \.claude\/skills\/alpha has the same name "alpha"/);
    assert.match(warnings[1]!, /\.hangar\/skills\/broken is left out: SKILL\.md's front matter is not closed/);
    assert.match(warnings[2]!, /\.hangar\/skills\/huge is left out: its files add up to \d+ bytes; the limit is/);
  });

  it('copies the skills into the session without symbolic links, and lists them for the prompt', async () => {
    const sessions = path.join(root, 'sessions');
    mkdirSync(path.join(sessions, 'sesn_1'), { recursive: true });
    const s = new SessionSkills(new SkillStore(path.join(root, 'storage')), sessions);
    const agent = { skills: [{ type: 'custom', skill_id: 'workspace', version: 'latest' }], multiagent: null, model: { id: DEFAULT_MODEL } } as unknown as SessionAgent;
    const plan = await s.plan(agent, repo);
    await s.place('sesn_1', plan);
    const copy = path.join(sessions, 'sesn_1', 'skills', 'alpha');
    assert.deepEqual(readdirSync(copy).sort(), ['SKILL.md', 'ref']);
    assert.ok(!existsSync(path.join(copy, 'leak.txt')));
    assert.deepEqual(s.mount('sesn_1'), { source: path.join(sessions, 'sesn_1', 'skills'), target: '/mnt/skills' });
    assert.match(s.note('sesn_1', (t) => t), /- alpha: alpha things \(\/mnt\/skills\/alpha\/SKILL\.md\)/);
    assert.equal(s.mount('sesn_other'), null);
    assert.equal(s.note('sesn_other', (t) => t), '');
  });
});
