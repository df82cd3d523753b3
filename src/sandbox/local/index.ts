export { LocalSandboxProvider, SessionIdSchema, type LocalSandboxProviderOptions } from './provider';
