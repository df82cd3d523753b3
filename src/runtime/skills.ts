import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Skill, SkillVersion, newId, nowIso, type DeletedSkill, type DeletedSkillVersion } from '../wire';
import { InvalidIdError, JsonStore, type Page } from '../log';
import { mkdirDurable } from '../log/fsutil';
import { invalid, notFound } from './errors';
import type { StagedBlob } from './files';
import { MAX_SKILL_BYTES, MAX_SKILL_FILES, parseSkillHeader, SKILL_FILE, SkillFormatError, splitSkillPath, type SkillHeader } from './skill-format';

// The Skills API's storage (custom skills; Hangar has no Anthropic-published ones):
//   <storage>/skills/<skill_id>.json                          the skill (listed)
//   <storage>/skill-data/<skill_id>/versions/<version>.json   its versions
//   <storage>/skill-data/<skill_id>/files/<version>/…         each version's folder (SKILL.md and the rest)
//   <storage>/skill-data/.uploads/                             multipart parts while a request is read
// A version's files are in place before its metadata, and a skill's first version before the skill, so whatever is
// listed has its files; a crash in between leaves unlisted files that a later upload of the same id never meets.

export interface SkillUpload {
  /** The part's file name: `<skill folder>/<path inside it>`. */
  filename: string;
  /** Where the part's bytes were staged. */
  path: string;
}

export interface SkillListQuery {
  source?: string;
  limit?: number;
  page?: string;
}

/** A skill version's folder on disk, as a session copies it. */
export interface ResolvedSkill {
  skill: Skill;
  version: SkillVersion;
  dir: string;
}

export class SkillStore {
  private readonly meta: JsonStore<Skill>;
  private readonly dataDir: string;

  constructor(root: string) {
    this.meta = new JsonStore(root, 'skills', Skill);
    this.dataDir = path.join(root, 'skill-data');
  }

  async stage(): Promise<StagedBlob> {
    const dir = path.join(this.dataDir, '.uploads');
    await mkdirDurable(dir);
    const file = path.join(dir, `upload-${randomBytes(8).toString('hex')}.tmp`);
    return { path: file, discard: () => fsp.rm(file, { force: true }) };
  }

  async create(uploads: readonly SkillUpload[], displayName: string | undefined): Promise<Skill> {
    if (displayName !== undefined && (displayName.trim() === '' || displayName.length > 255 || /[\r\n]/.test(displayName))) {
      throw invalid('display_name must be one line of 1 to 255 characters.');
    }
    const id = newId('skill');
    const { version, header } = await this.addVersion(id, uploads, null);
    const skill: Skill = { type: 'skill', id, display_name: displayName ?? header.name, latest_version_id: version.id, source: { type: 'custom' }, created_at: version.created_at, updated_at: version.created_at };
    try {
      return await this.meta.put(skill);
    } catch (err) {
      await fsp.rm(this.skillDir(id), { recursive: true, force: true });
      throw err;
    }
  }

  /** A new version of an existing skill; its SKILL.md must keep the skill's name (the folder it is mounted as). */
  async createVersion(skillId: string, uploads: readonly SkillUpload[]): Promise<SkillVersion> {
    const skill = await this.retrieve(skillId);
    const { name } = await this.retrieveVersion(skillId, skill.latest_version_id);
    const { version } = await this.addVersion(skillId, uploads, name);
    await this.meta.put({ ...skill, latest_version_id: version.id, updated_at: version.created_at });
    return version;
  }

  async retrieve(id: string): Promise<Skill> {
    const found = await this.meta.get(id).catch(orNullOnBadId);
    if (!found) throw notFound('Skill', id);
    return found;
  }

  async list(q: SkillListQuery): Promise<Page<Skill>> {
    // Newest first, as the hosted list; every skill here is custom, so another source lists none.
    return this.meta.list({ order: 'desc', limit: q.limit, after: q.page, where: (s) => q.source === undefined || s.source.type === q.source });
  }

  /** Removes the skill and every version. Sessions made with it keep their own copy. */
  async delete(id: string): Promise<DeletedSkill> {
    await this.retrieve(id);
    await this.meta.delete(id);
    await fsp.rm(this.skillDir(id), { recursive: true, force: true });
    return { id, type: 'skill_deleted' };
  }

  async retrieveVersion(skillId: string, versionId: string): Promise<SkillVersion> {
    await this.retrieve(skillId);
    const found = await this.versions(skillId).get(versionId).catch(orNullOnBadId);
    if (!found) throw notFound('Skill version', `${skillId}@${versionId}`);
    return found;
  }

  async listVersions(skillId: string, q: { limit?: number; page?: string }): Promise<Page<SkillVersion>> {
    await this.retrieve(skillId);
    return this.versions(skillId).list({ order: 'desc', limit: q.limit, after: q.page });
  }

  /** Deletes one version; a skill keeps at least one (delete the skill to remove the last). */
  async deleteVersion(skillId: string, versionId: string): Promise<DeletedSkillVersion> {
    await this.retrieveVersion(skillId, versionId);
    const skill = await this.retrieve(skillId);
    const rest = (await this.versions(skillId).list({ order: 'desc' })).data.filter((v) => v.id !== versionId);
    const newest = rest[0];
    if (!newest) throw invalid(`Version ${versionId} is the only version of skill ${skillId}; delete the skill instead.`);
    if (skill.latest_version_id === versionId) await this.meta.put({ ...skill, latest_version_id: newest.id, updated_at: nowIso() });
    await this.versions(skillId).delete(versionId);
    await fsp.rm(this.filesDir(skillId, versionId), { recursive: true, force: true });
    return { id: versionId, type: 'skill_version_deleted' };
  }

  /** A skill version as an agent names it (`latest` or absent: the newest), with its folder. */
  async resolve(skillId: string, version: string | null | undefined): Promise<ResolvedSkill> {
    const skill = await this.retrieve(skillId);
    const versionId = version == null || version === 'latest' ? skill.latest_version_id : version;
    return { skill, version: await this.retrieveVersion(skillId, versionId), dir: this.filesDir(skillId, versionId) };
  }

  /** Checks an upload, moves its files into a new version folder and records the version. */
  private async addVersion(skillId: string, uploads: readonly SkillUpload[], keepName: string | null): Promise<{ version: SkillVersion; header: SkillHeader }> {
    const layout = await checkUpload(uploads);
    const header = await parseOrInvalid(await fsp.readFile(layout.skillMd, 'utf8'), layout.folder);
    if (keepName !== null && header.name !== keepName) {
      throw invalid(`The new version's SKILL.md names the skill "${header.name}", but this skill is "${keepName}"; a skill keeps its name (create a new skill for another).`);
    }
    const versions = this.versions(skillId);
    const id = await nextVersionId(versions);
    const target = this.filesDir(skillId, id);
    const staging = `${target}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      for (const [inner, from] of layout.files) {
        const to = path.join(staging, ...inner.split('/'));
        await fsp.mkdir(path.dirname(to), { recursive: true });
        await fsp.rename(from, to);
      }
      await fsp.rename(staging, target);
      const version: SkillVersion = { type: 'skill_version', id, skill_id: skillId, name: header.name, description: header.description, created_at: nowIso() };
      await versions.put(version);
      return { version, header };
    } catch (err) {
      await fsp.rm(staging, { recursive: true, force: true });
      await fsp.rm(target, { recursive: true, force: true });
      throw err;
    }
  }

  private versions(skillId: string): JsonStore<SkillVersion> {
    return new JsonStore(this.skillDir(skillId), 'versions', SkillVersion);
  }

  private skillDir(skillId: string): string {
    return path.join(this.dataDir, skillId);
  }

  private filesDir(skillId: string, versionId: string): string {
    return path.join(this.skillDir(skillId), 'files', versionId);
  }
}

/** The upload's folder, its SKILL.md and each file by its path inside the folder; refused with the reason. */
async function checkUpload(uploads: readonly SkillUpload[]): Promise<{ folder: string; skillMd: string; files: Map<string, string> }> {
  if (uploads.length === 0) throw invalid('No files: send the skill folder\'s files as "files[]" parts named "<skill folder>/<path>", with "<skill folder>/SKILL.md" among them.');
  if (uploads.length > MAX_SKILL_FILES) throw invalid(`The skill has ${uploads.length} files; the limit is ${MAX_SKILL_FILES}.`);
  const files = new Map<string, string>();
  let folder: string | null = null;
  let total = 0;
  for (const u of uploads) {
    const split = splitOrInvalid(u.filename);
    if (folder !== null && split.folder !== folder) throw invalid(`All files must be in one top-level folder; got "${folder}" and "${split.folder}".`);
    folder = split.folder;
    if (files.has(split.inner)) throw invalid(`File "${u.filename}" is sent twice; send each file once.`);
    files.set(split.inner, u.path);
    total += (await fsp.stat(u.path)).size;
  }
  if (total > MAX_SKILL_BYTES) throw invalid(`The skill's files add up to ${total} bytes; the limit is ${MAX_SKILL_BYTES} bytes (8 MiB).`);
  const skillMd = files.get(SKILL_FILE);
  if (!skillMd) throw invalid(`No ${SKILL_FILE} at the top of the skill folder: send "${folder}/${SKILL_FILE}".`);
  return { folder: folder!, skillMd, files };
}

function splitOrInvalid(raw: string): { folder: string; inner: string } {
  try {
    return splitSkillPath(raw);
  } catch (err) {
    if (err instanceof SkillFormatError) throw invalid(err.message);
    throw err;
  }
}

async function parseOrInvalid(text: string, folder: string): Promise<SkillHeader> {
  try {
    return await parseSkillHeader(text, folder);
  } catch (err) {
    if (err instanceof SkillFormatError) throw invalid(err.message);
    throw err;
  }
}

/**
 * Version ids are the hosted form, a decimal timestamp in microseconds, kept above the newest so far (two uploads in
 * the same microsecond, or a clock that stepped back, still order correctly).
 */
async function nextVersionId(versions: JsonStore<SkillVersion>): Promise<string> {
  const newest = (await versions.list({})).data.reduce((max, v) => (BigInt(v.id) > max ? BigInt(v.id) : max), 0n);
  const now = BigInt(Date.now()) * 1000n;
  return String(now > newest ? now : newest + 1n);
}

function orNullOnBadId(err: unknown): null {
  if (err instanceof InvalidIdError) return null;
  throw err;
}
