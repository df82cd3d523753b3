import { AllowanceParams, type SessionAllowances } from '../wire/allowances';
import { route } from './router';

// "Allow for this session" (shapes in wire/allowances.ts): Hangar's endpoints, not the hosted API's, so a client in
// another process (VS Code on a detached runtime) allows and revokes as the panel and the CLI do in-process. Each
// change answers with the allowances as they are afterwards.

export const allowanceRoutes = [
  route('GET', '/v1/sessions/:session_id/allowances', async (c): Promise<SessionAllowances> => c.runtime.permissions.all(c.params.session_id!)),
  route('POST', '/v1/sessions/:session_id/allowances', async (c): Promise<SessionAllowances> => {
    const { tool, session_thread_id } = await c.body(AllowanceParams);
    await c.runtime.permissions.allow(c.params.session_id!, tool, session_thread_id);
    return c.runtime.permissions.all(c.params.session_id!);
  }),
  route('POST', '/v1/sessions/:session_id/allowances/revoke', async (c): Promise<SessionAllowances> => {
    const { tool, session_thread_id } = await c.body(AllowanceParams);
    await c.runtime.permissions.revoke(c.params.session_id!, tool, session_thread_id);
    return c.runtime.permissions.all(c.params.session_id!);
  }),
];
