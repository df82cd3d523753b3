import assert from 'node:assert/strict';
import { MAX_SKILL_DESCRIPTION, parseSkillHeader, SkillFormatError, splitSkillPath } from '../../../src/runtime/skill-format';

// SKILL.md front matter and the file names of a skill upload, as the Skills API and workspace skills check them.

const md = (front: string, body = '# Body\n') => `---\n${front}\n---\n${body}`;
const refused = (text: string, pattern: RegExp, folder = 'folder') =>
  assert.rejects(parseSkillHeader(text, folder), (e: unknown) => e instanceof SkillFormatError && pattern.test(e.message));

describe('skill format', () => {
  it('reads name and description, with CRLF lines, a BOM and YAML block scalars', async () => {
    assert.deepEqual(await parseSkillHeader(md('name: pdf-forms\ndescription: Fill PDF forms.'), 'x'), { name: 'pdf-forms', description: 'Fill PDF forms.' });
    assert.deepEqual(await parseSkillHeader('\uFEFF---\r\nname: a1\r\ndescription: d\r\n---\r\nbody', 'x'), { name: 'a1', description: 'd' });
    assert.deepEqual(await parseSkillHeader(md('name: multi\ndescription: >\n  Two\n  lines.\nlicense: MIT'), 'x'), { name: 'multi', description: 'Two lines.' });
  });

  it('takes the folder name when name is left out', async () => {
    assert.deepEqual(await parseSkillHeader(md('description: d'), 'from-folder'), { name: 'from-folder', description: 'd' });
  });

  it('refuses a missing or unclosed front matter, broken YAML and a non-mapping', async () => {
    await refused('# just markdown\n', /must start with YAML front matter/);
    await refused('---\nname: a\ndescription: d\n', /not closed/);
    await refused(md('name: [unclosed\ndescription: d'), /not valid YAML/);
    await refused(md('name: a\nname: b\ndescription: d'), /not valid YAML/);
    await refused(md('- a\n- b'), /must be a YAML mapping/);
    await refused(md('a: &x 1\nb: *x\ndescription: d\nname: n'), /uses a YAML alias/);
  });

  it('refuses names outside the limits', async () => {
    await refused(md('name: Has Caps\ndescription: d'), /lowercase letters/);
    await refused(md('name: two--hyphens\ndescription: d'), /lowercase letters/);
    await refused(md(`name: ${'a'.repeat(65)}\ndescription: d`), /1 to 64/);
    await refused(md('name: 12\ndescription: d'), /must be a string/);
    await refused(md('name: my-claude-helper\ndescription: d'), /reserved word/);
    await refused(md('description: d'), /lowercase letters/, 'Bad Folder');
  });

  it('refuses descriptions outside the limits', async () => {
    await refused(md('name: a'), /needs a "description"/);
    await refused(md('name: a\ndescription: "  "'), /needs a "description"/);
    await refused(md(`name: a\ndescription: ${'d'.repeat(MAX_SKILL_DESCRIPTION + 1)}`), /1025 characters; the limit is 1024/);
    await refused(md('name: a\ndescription: Use <b>this</b>'), /XML tag/);
  });

  it('splits upload file names and refuses any that could leave the folder', () => {
    assert.deepEqual(splitSkillPath('my-skill/SKILL.md'), { folder: 'my-skill', inner: 'SKILL.md' });
    assert.deepEqual(splitSkillPath('my-skill/scripts/run.py'), { folder: 'my-skill', inner: 'scripts/run.py' });
    for (const bad of ['../etc/passwd', 'my-skill/../../x', '/abs/SKILL.md', 'my-skill\\..\\x', 'C:/x/SKILL.md', 'my-skill//x', 'my-skill/./x', 'SKILL.md', 'a/b\0c']) {
      assert.throws(() => splitSkillPath(bad), SkillFormatError, bad);
    }
  });
});
