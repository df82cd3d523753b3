
// The Agent Skills format (agentskills.io, as Claude Code and the Skills API read it): a folder whose SKILL.md opens
// with YAML front matter between `---` lines. `description` is required; `name` defaults to the folder's name. Both
// are checked against the limits of the Skills API, since the name becomes a folder in the sandbox and both reach the
// model's system prompt.

export const SKILL_FILE = 'SKILL.md';
export const MAX_SKILL_NAME = 64;
export const MAX_SKILL_DESCRIPTION = 1024;
/** All files of one skill together (the Skills API's upload limit). */
export const MAX_SKILL_BYTES = 8 * 1024 * 1024;
export const MAX_SKILL_FILES = 200;

export interface SkillHeader {
  name: string;
  description: string;
}

/** A SKILL.md (or a skill folder) that cannot be used; the message says what to fix. */
export class SkillFormatError extends Error {
  override readonly name = 'SkillFormatError';
}

const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const XML_TAG = /<\/?[A-Za-z][^>]*>/;

/**
 * Reads SKILL.md's front matter; `folder` is the skill folder's name, the default name. The YAML parser (a quarter
 * megabyte of the CLI bundle) loads with the first skill read, not with every runtime a CLI command opens.
 */
export async function parseSkillHeader(text: string, folder: string): Promise<SkillHeader> {
  const body = text.replace(/^\uFEFF/, '');
  const open = /^---[ \t]*\r?\n/.exec(body);
  if (!open) throw new SkillFormatError(`${SKILL_FILE} must start with YAML front matter: a line "---", then "name:" and "description:", then a line "---".`);
  const rest = body.slice(open[0].length);
  const close = /^---[ \t]*(\r?\n|$)/m.exec(rest);
  if (!close) throw new SkillFormatError(`${SKILL_FILE}'s front matter is not closed: add a line "---" after it.`);
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(rest.slice(0, close.index), { prettyErrors: false, uniqueKeys: true });
  const problem = doc.errors[0];
  if (problem) throw new SkillFormatError(`${SKILL_FILE}'s front matter is not valid YAML: ${problem.message.split('\n')[0]}.`);
  let value: unknown;
  try {
    // No aliases: a few lines of them can expand to gigabytes, and a skill's header never needs one.
    value = doc.toJS({ maxAliasCount: 0 });
  } catch (err) {
    throw new SkillFormatError(`${SKILL_FILE}'s front matter uses a YAML alias (${err instanceof Error ? err.message : String(err)}); write the values out.`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SkillFormatError(`${SKILL_FILE}'s front matter must be a YAML mapping with "name" and "description".`);
  }
  const fields = value as Record<string, unknown>;
  const name = fields.name ?? folder;
  if (typeof name !== 'string') throw new SkillFormatError(`${SKILL_FILE}'s "name" must be a string.`);
  if (name.length > MAX_SKILL_NAME || !NAME.test(name)) {
    throw new SkillFormatError(`${SKILL_FILE}'s name ${JSON.stringify(name.slice(0, 80))} must be 1 to ${MAX_SKILL_NAME} lowercase letters, digits and single hyphens (e.g. "pdf-forms").`);
  }
  if (/anthropic|claude/.test(name)) throw new SkillFormatError(`${SKILL_FILE}'s name "${name}" contains a reserved word ("anthropic" or "claude"); choose another name.`);
  const description = fields.description;
  if (typeof description !== 'string' || description.trim() === '') {
    throw new SkillFormatError(`${SKILL_FILE}'s front matter needs a "description": what the skill does and when to use it.`);
  }
  if (description.length > MAX_SKILL_DESCRIPTION) throw new SkillFormatError(`${SKILL_FILE}'s description is ${description.length} characters; the limit is ${MAX_SKILL_DESCRIPTION}.`);
  if (XML_TAG.test(description)) throw new SkillFormatError(`${SKILL_FILE}'s description contains an XML tag; describe the skill in plain text.`);
  return { name, description: description.trim() };
}

/**
 * Checks the relative path of one file of a skill upload (`<folder>/<path inside it>`, '/'-separated) and splits it.
 * Anything that could leave the skill's folder (`..`, an absolute path, a backslash, a drive letter) is refused.
 */
export function splitSkillPath(raw: string): { folder: string; inner: string } {
  const shown = JSON.stringify(raw.slice(0, 200));
  if (raw.includes('\0') || raw.includes('\\') || raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) {
    throw new SkillFormatError(`File name ${shown} is not a relative path with "/" separators; name each file "<skill folder>/<path>", e.g. "my-skill/SKILL.md".`);
  }
  const parts = raw.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) throw new SkillFormatError(`File name ${shown} has an empty, "." or ".." component; each file must stay inside the skill folder.`);
  if (parts.length < 2) throw new SkillFormatError(`File name ${shown} has no folder: name each file "<skill folder>/<path>", e.g. "my-skill/SKILL.md".`);
  return { folder: parts[0]!, inner: parts.slice(1).join('/') };
}
