import * as z from 'zod';
import { FileResourceParams, RepositoryTokenUpdate } from '../wire';
import { resourceKey } from '../runtime/session-resources';
import { badRequest, parseOr400 } from './errors';
import { paging } from './query';
import { route } from './router';

// /v1/sessions/:id/resources (reference §2.5): the local repository a session was created on and the files it
// mounts, given at creation or added later (`file` only, as the SDK's `resources.add` types say: file-attach.ts).

const ListQuery = z.strictObject(paging);

export const resourceRoutes = [
  route('GET', '/v1/sessions/:session_id/resources', async (c) => {
    const q = c.query(ListQuery);
    const all = await c.runtime.resources.list(c.params.session_id!);
    // The cursor names the last resource of the previous page (resources keep their creation order).
    const start = q.page === undefined ? 0 : all.findIndex((r) => resourceKey(r) === q.page) + 1;
    if (start === 0 && q.page !== undefined) throw badRequest('page is not a cursor this server issued; pass next_page from an earlier response.');
    const data = all.slice(start, start + (q.limit ?? 20));
    const more = start + data.length < all.length;
    return { data, next_page: more ? resourceKey(data.at(-1)!) : null };
  }),
  route('POST', '/v1/sessions/:session_id/resources', async (c) => {
    await c.runtime.sessions.record(c.params.session_id!);
    const body = await c.body(z.looseObject({}));
    if (body.type !== 'file') {
      throw badRequest(`Only "file" resources can be added to an existing session (got type ${JSON.stringify(body.type ?? null)}); give repositories when creating the session.`);
    }
    return c.runtime.attachments.add(c.params.session_id!, parseOr400(FileResourceParams.strict(), body, 'request body'));
  }),
  route('GET', '/v1/sessions/:session_id/resources/:resource_id', async (c) => c.runtime.resources.retrieve(c.params.session_id!, c.params.resource_id!)),
  route('POST', '/v1/sessions/:session_id/resources/:resource_id', async (c) => c.runtime.resources.rotateToken(c.params.session_id!, c.params.resource_id!, (await c.body(RepositoryTokenUpdate)).authorization_token)),
  route('DELETE', '/v1/sessions/:session_id/resources/:resource_id', async (c) => c.runtime.resources.delete(c.params.session_id!, c.params.resource_id!)),
];
