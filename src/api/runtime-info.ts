import { RUNTIME_CAPABILITIES, type RuntimeInfo } from '../wire/runtime-info';
import { route } from './router';

// Hangar's own: what this runtime can do that an older one cannot, asked by clients before they rely on it
// (src/wire/runtime-info.ts). Not in the hosted API.

export const runtimeInfoRoutes = [route('GET', '/v1/runtime', async (): Promise<RuntimeInfo> => ({ type: 'runtime', capabilities: [...RUNTIME_CAPABILITIES] }))];
