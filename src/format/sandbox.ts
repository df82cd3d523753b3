// How every surface names the kind of sandbox a session works in (panel header, sessions tree, CLI), with the
// codicon that stands for it.

export type SandboxKind = 'docker' | 'local';

export const SANDBOX_KIND: Readonly<Record<SandboxKind, { icon: 'vm' | 'folder'; label: string; title: string }>> = {
  docker: { icon: 'vm', label: 'Docker', title: 'Runs in a Docker container, on a private copy of the repository' },
  local: { icon: 'folder', label: 'Local', title: 'Runs on this machine without a container, in a private copy of the repository' },
};
