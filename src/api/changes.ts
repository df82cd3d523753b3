import { ChangeContentQuery, type SessionChanges } from '../wire/changes';
import { fail } from './errors';
import { route, STREAMED } from './router';

// Hangar's review endpoints: what a session changed in its copy, and one file of it at either side, so a client
// reviews locally what a runtime elsewhere (detached, or on another machine) holds. Not in the hosted API.

export const changeRoutes = [
  route('GET', '/v1/sessions/:session_id/changes', async (c): Promise<SessionChanges> => {
    const { patch, files } = await c.runtime.sessions.changes(c.params.session_id!);
    return { type: 'session_changes', patch, files };
  }),
  route('GET', '/v1/sessions/:session_id/changes/content', async (c) => {
    const q = c.query(ChangeContentQuery);
    const bytes = await c.runtime.sessions.readFile(c.params.session_id!, q.path, q.side);
    if (bytes === null) throw fail(404, 'not_found_error', `${q.path} does not exist on the ${q.side} side of session ${c.params.session_id!}.`);
    c.res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) });
    c.res.end(bytes);
    return STREAMED;
  }),
];
