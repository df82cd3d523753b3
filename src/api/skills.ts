import * as z from 'zod';
import { MAX_SKILL_BYTES, MAX_SKILL_FILES } from '../runtime/skill-format';
import type { SkillStore, SkillUpload } from '../runtime/skills';
import { fail } from './errors';
import { readMultipart } from './multipart';
import { paging } from './query';
import { route, type Ctx } from './router';

// /v1/skills (reference §2.9), as the SDK's `client.beta.skills` calls it: multipart create (parts `files[]`, each
// named `<skill folder>/<path>`, and `display_name`), list (`source`, paging), retrieve, delete, and the versions
// of a skill. Version content downloads (a zip) are not served.

const ListQuery = z.strictObject({ ...paging, source: z.string().min(1).optional() });
const VersionsQuery = z.strictObject({ ...paging });

/** Reads a skill upload and hands its parts to `use`; parts it did not take are removed afterwards. */
async function withUpload<T>(c: Ctx, textFields: readonly string[], use: (uploads: SkillUpload[], fields: Map<string, string[]>) => Promise<T>): Promise<T> {
  const skills: SkillStore = c.runtime.skills;
  const body = await readMultipart(c.req, {
    fileBytes: MAX_SKILL_BYTES,
    files: MAX_SKILL_FILES,
    fileFields: ['files[]', 'files'],
    textFields,
    stage: () => skills.stage(),
    tooLarge: () => fail(413, 'request_too_large', `A skill file is larger than the limit of ${MAX_SKILL_BYTES} bytes (8 MiB) for a whole skill.`),
  });
  try {
    return await use(body.files.map((f) => ({ filename: f.filename, path: f.staged.path })), body.fields);
  } finally {
    await body.discard();
  }
}

export const skillRoutes = [
  route('POST', '/v1/skills', (c) =>
    withUpload(c, ['display_name'], (uploads, fields) => {
      const names = fields.get('display_name');
      if (names && names.length > 1) throw fail(400, 'invalid_request_error', 'display_name is given more than once; give it once.');
      return c.runtime.skills.create(uploads, names?.[0]);
    }),
  ),
  route('GET', '/v1/skills', async (c) => c.runtime.skills.list(c.query(ListQuery))),
  route('GET', '/v1/skills/:skill_id', async (c) => c.runtime.skills.retrieve(c.params.skill_id!)),
  route('DELETE', '/v1/skills/:skill_id', async (c) => c.runtime.skills.delete(c.params.skill_id!)),
  route('POST', '/v1/skills/:skill_id/versions', (c) => withUpload(c, [], (uploads) => c.runtime.skills.createVersion(c.params.skill_id!, uploads))),
  route('GET', '/v1/skills/:skill_id/versions', async (c) => c.runtime.skills.listVersions(c.params.skill_id!, c.query(VersionsQuery))),
  route('GET', '/v1/skills/:skill_id/versions/:version', async (c) => c.runtime.skills.retrieveVersion(c.params.skill_id!, c.params.version!)),
  route('DELETE', '/v1/skills/:skill_id/versions/:version', async (c) => c.runtime.skills.deleteVersion(c.params.skill_id!, c.params.version!)),
];
