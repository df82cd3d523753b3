import { z } from 'zod';
import { badRequest } from './errors';
import { paging } from './query';
import { route } from './router';

// /v1/sessions/:id/resources (reference §2.5). A Hangar session's resource is the local repository it was created
// on; file resources need the Files API, which a local runtime does not have.

const ListQuery = z.strictObject(paging);

export const resourceRoutes = [
  route('GET', '/v1/sessions/:session_id/resources', async (c) => {
    const q = c.query(ListQuery);
    if (q.page) throw badRequest('page is not a cursor this server issued; a session has at most one resource, so there is no next page.');
    return { data: (await c.runtime.resources.list(c.params.session_id!)).slice(0, q.limit), next_page: null };
  }),
  route('POST', '/v1/sessions/:session_id/resources', async (c) => {
    await c.runtime.sessions.record(c.params.session_id!);
    throw badRequest(
      'Adding resources to a running session is not supported by the local runtime: file resources need the Files API, which Hangar does not provide. Give the repository when creating the session (resources: [{"type":"local_repository","path":"/path/to/repo"}]).',
    );
  }),
  route('GET', '/v1/sessions/:session_id/resources/:resource_id', async (c) => c.runtime.resources.retrieve(c.params.session_id!, c.params.resource_id!)),
  route('POST', '/v1/sessions/:session_id/resources/:resource_id', async (c) => {
    await c.runtime.resources.retrieve(c.params.session_id!, c.params.resource_id!);
    throw badRequest('A local_repository resource has no authorization token to rotate.');
  }),
  route('DELETE', '/v1/sessions/:session_id/resources/:resource_id', async (c) => c.runtime.resources.delete(c.params.session_id!, c.params.resource_id!)),
];
