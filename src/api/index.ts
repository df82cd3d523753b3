export { startApiServer, type ApiServer, type ApiServerOptions } from './server';
export { ensureApiToken, TOKEN_FILE } from './auth';
