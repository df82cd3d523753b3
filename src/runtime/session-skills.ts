import { existsSync, readFileSync } from 'node:fs';
import { chmod, cp, lstat, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { SKILLS_DIR, WORKSPACE_SKILLS_ID, sessionRoster, type SessionAgent } from '../wire';
import type { SandboxMount } from '../sandbox/types';
import { writeFileAtomic } from '../log/fsutil';
import { invalid, RuntimeError } from './errors';
import { MAX_SKILL_BYTES, MAX_SKILL_FILES, parseSkillHeader, SKILL_FILE, SkillFormatError } from './skill-format';
import type { SkillStore } from './skills';

// A session's skills: the custom skills its agents name (pinned to a version when the session is made) and, for an
// agent that names the `workspace` skill, the skill folders of the session's repository. Each is copied into the
// session's directory when the session is made, so deleting a skill or editing the repository later does not change
// a session:
//   <session>/skills/<name>/   mounted read-only at /mnt/skills (Docker: one bind; local: a read-only copy)
//   <session>/skills.json      name, description and origin of each, for the model's system prompt

/** The repository folders skills are read from, in order (Claude Code's project skills, then Hangar's own). */
export const WORKSPACE_SKILL_FOLDERS = ['.claude/skills', '.hangar/skills'] as const;

const SessionSkill = z.object({ name: z.string(), description: z.string(), origin: z.string() });
type SessionSkill = z.infer<typeof SessionSkill>;
const MANIFEST = 'skills.json';

/** A skill a session will hold: what the model is told, and the folder copied from. */
export interface PlannedSkill extends SessionSkill {
  from: string;
}

export interface SkillPlan {
  skills: PlannedSkill[];
  /** Workspace skills left out, each with the reason (shown as session errors; the session goes on without them). */
  warnings: string[];
}

export class SessionSkills {
  constructor(
    private readonly store: SkillStore,
    private readonly sessionsDir: string,
  ) {}

  /**
   * What a new session holds, checked before it is made: a custom skill that no longer exists refuses the session;
   * a workspace skill that cannot be used is left out with a warning.
   */
  async plan(agent: SessionAgent, repoPath: string | null): Promise<SkillPlan> {
    const refs = new Map<string, { skill_id: string; version?: string | null }>();
    for (const s of [agent, ...sessionRoster(agent)].flatMap((a) => a.skills)) refs.set(`${s.skill_id}@${s.version ?? 'latest'}`, s);
    const skills: PlannedSkill[] = [];
    const warnings: string[] = [];
    let workspace = false;
    for (const ref of refs.values()) {
      if (ref.skill_id === WORKSPACE_SKILLS_ID) {
        workspace = true;
        continue;
      }
      const found = await this.store.resolve(ref.skill_id, ref.version).catch((err: unknown) => {
        if (err instanceof RuntimeError && err.status === 404) throw invalid(`The agent's skill ${ref.skill_id}${ref.version ? ` (version ${ref.version})` : ''} no longer exists; update the agent's skills.`);
        throw err;
      });
      const clash = skills.find((s) => s.name === found.version.name);
      if (clash) throw invalid(`The session's agents name two skills called "${found.version.name}" (${clash.origin} and ${ref.skill_id}); a session mounts one folder per name.`);
      skills.push({ name: found.version.name, description: found.version.description, origin: `${ref.skill_id}@${found.version.id}`, from: found.dir });
    }
    if (workspace) {
      if (repoPath === null) warnings.push('The agent uses the workspace\'s skills, but the session has no repository: no workspace skills are loaded.');
      else for (const s of await workspaceSkills(repoPath, warnings)) {
        const clash = skills.find((x) => x.name === s.name);
        if (clash) warnings.push(`Workspace skill ${s.origin} is left out: the session already has a skill named "${s.name}" (${clash.origin}).`);
        else skills.push(s);
      }
    }
    return { skills, warnings };
  }

  /** Copies the planned skills into the session's directory (world-readable: the container's user is not the host's). */
  async place(sessionId: string, plan: SkillPlan): Promise<void> {
    if (plan.skills.length === 0) return;
    const root = path.join(this.sessionsDir, sessionId, 'skills');
    await rm(root, { recursive: true, force: true });
    for (const s of plan.skills) {
      const to = path.join(root, s.name);
      await cp(s.from, to, { recursive: true, filter: async (src) => !(await lstat(src)).isSymbolicLink() });
      await readable(to);
    }
    await chmod(root, 0o755);
    await writeFileAtomic(path.join(this.sessionsDir, sessionId, MANIFEST), JSON.stringify(plan.skills.map(({ name, description, origin }) => ({ name, description, origin }))));
  }

  /** The sandbox mount of the session's skills, if it has any. */
  mount(sessionId: string): SandboxMount | null {
    const dir = path.join(this.sessionsDir, sessionId, 'skills');
    return existsSync(dir) ? { source: dir, target: SKILLS_DIR } : null;
  }

  /** The session's skills as its system prompt lists them; `where` maps a sandbox path to the one commands use. */
  note(sessionId: string, where: (target: string) => string): string {
    const file = path.join(this.sessionsDir, sessionId, MANIFEST);
    if (!existsSync(file)) return '';
    const skills = z.array(SessionSkill).parse(JSON.parse(readFileSync(file, 'utf8')));
    if (skills.length === 0) return '';
    const lines = skills.map((s) => `- ${s.name}: ${s.description} (${where(`${SKILLS_DIR}/${s.name}`)}/${SKILL_FILE})`);
    return [
      '',
      '',
      `Skills: folders of instructions, scripts and resources, read-only under ${where(SKILLS_DIR)}. When a task matches a skill's description, first read its ${SKILL_FILE} (with the read tool, by its absolute path) and follow it; read the other files it points to only when you need them.`,
      ...lines,
    ].join('\n');
  }
}

/** The usable skills in a repository's skill folders; every one left out adds a warning that says why. */
export async function workspaceSkills(repoPath: string, warnings: string[]): Promise<PlannedSkill[]> {
  const out: PlannedSkill[] = [];
  for (const folder of WORKSPACE_SKILL_FOLDERS) {
    const base = path.join(repoPath, ...folder.split('/'));
    const entries = await readdir(base, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (!e.isDirectory()) continue;
      const origin = `${folder}/${e.name}`;
      const dir = path.join(base, e.name);
      const problem = await folderProblem(dir);
      if (problem) {
        if (problem !== 'no skill') warnings.push(`Workspace skill ${origin} is left out: ${problem}`);
        continue;
      }
      try {
        const header = await parseSkillHeader(await readFile(path.join(dir, SKILL_FILE), 'utf8'), e.name);
        const twin = out.find((s) => s.name === header.name);
        if (twin) warnings.push(`Workspace skill ${origin} is left out: ${twin.origin} has the same name "${header.name}".`);
        else out.push({ ...header, origin, from: dir });
      } catch (err) {
        if (!(err instanceof SkillFormatError)) throw err;
        warnings.push(`Workspace skill ${origin} is left out: ${err.message}`);
      }
    }
  }
  return out;
}

/** Why a workspace skill folder cannot be copied ('no skill': it has no SKILL.md, so it is not a skill at all). */
async function folderProblem(dir: string): Promise<string | null> {
  const md = await lstat(path.join(dir, SKILL_FILE)).catch(() => null);
  if (!md) return 'no skill';
  if (!md.isFile()) return `its ${SKILL_FILE} is not a regular file.`;
  let files = 0;
  let bytes = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        files++;
        bytes += (await stat(p)).size;
      }
    }
  };
  await walk(dir);
  if (files > MAX_SKILL_FILES) return `it has ${files} files; the limit is ${MAX_SKILL_FILES}.`;
  if (bytes > MAX_SKILL_BYTES) return `its files add up to ${bytes} bytes; the limit is ${MAX_SKILL_BYTES} (8 MiB).`;
  return null;
}

/** Files 0644, folders 0755, below and including `dir`. */
async function readable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await readable(p);
    else await chmod(p, 0o644);
  }
}

