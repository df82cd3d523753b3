export { DockerSandboxProvider, type DockerSandboxProviderOptions } from './provider';
export { DockerSandbox } from './sandbox';
export { DevcontainerError, DiskFullError, DockerUnavailableError, ImageMissingError } from './errors';
export { DEFAULT_IMAGE } from './plan';
export { dockerUnreadyReason } from './ready';
