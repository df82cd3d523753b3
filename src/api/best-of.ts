import * as z from 'zod';
import { compareRows, startBestOfWith } from '../runtime/best-of';
import { BEST_OF_MAX, BestOfParams, type BestOfStarted, type CompareList } from '../wire/best-of';
import { qList } from './query';
import { route } from './router';

// Best-of-N (shapes in wire/best-of.ts): Hangar's endpoints, not the hosted API's, so a client in another process
// (VS Code on a detached runtime) starts attempts and compares them as the CLI and the in-process window do.

const CompareQuery = z.strictObject({
  session_ids: qList(z.string().min(1)).refine((ids) => ids.length >= 1 && ids.length <= BEST_OF_MAX, `session_ids[] names 1 to ${BEST_OF_MAX} sessions to compare`),
});

export const bestOfRoutes = [
  route('POST', '/v1/best_of', async (c): Promise<BestOfStarted> => {
    const params = await c.body(BestOfParams);
    return { type: 'best_of', session_ids: await startBestOfWith(c.runtime.agents, c.runtime.sessions, params) };
  }),
  route('GET', '/v1/best_of/compare', async (c): Promise<CompareList> => ({ type: 'compare', data: await compareRows(c.runtime.sessions, c.query(CompareQuery).session_ids) })),
];
