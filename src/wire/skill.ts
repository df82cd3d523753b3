import * as z from 'zod';
import { lazySchema } from './lazy';
import { Timestamp } from './common';

// The Skills API (reference §2.9; the SDK's `client.beta.skills`): custom skills in the Agent Skills format, a folder
// with a SKILL.md whose YAML front matter names and describes the skill. Each upload is an immutable version.

export const SkillSource = lazySchema(() => z.object({ type: z.enum(['custom', 'anthropic', 'anthropic_example', 'plugin']) }));

export const Skill = lazySchema(() => z.object({
  type: z.literal('skill'),
  id: z.string(),
  display_name: z.string(),
  latest_version_id: z.string(),
  source: SkillSource,
  created_at: Timestamp,
  updated_at: Timestamp,
}));
export type Skill = z.infer<typeof Skill>;

export const SkillVersion = lazySchema(() => z.object({
  type: z.literal('skill_version'),
  id: z.string(),
  skill_id: z.string(),
  name: z.string(),
  description: z.string(),
  created_at: Timestamp,
}));
export type SkillVersion = z.infer<typeof SkillVersion>;

export const DeletedSkill = lazySchema(() => z.object({ id: z.string(), type: z.literal('skill_deleted') }));
export type DeletedSkill = z.infer<typeof DeletedSkill>;
export const DeletedSkillVersion = lazySchema(() => z.object({ id: z.string(), type: z.literal('skill_version_deleted') }));
export type DeletedSkillVersion = z.infer<typeof DeletedSkillVersion>;

/** Where a session's skills appear in its sandbox, read-only: one folder per skill name. */
export const SKILLS_DIR = '/mnt/skills';

/**
 * The agent `skills` entry that opts into the skills of the session's repository (`.claude/skills/<name>/SKILL.md`,
 * `.hangar/skills/<name>/SKILL.md`): Hangar's own, as `{type: "custom", skill_id: "workspace"}`.
 */
export const WORKSPACE_SKILLS_ID = 'workspace';
