// Types of docker-leftovers.mjs for the TypeScript test support that uses it (docker-leaks.ts).
export interface SandboxObject {
  kind: 'container' | 'volume';
  id: string;
  what: string;
  createdAt: number;
}
export function engineAnswers(): boolean;
export function sandboxesUnder(dir: string): SandboxObject[];
export function removeSandboxObjects(left: readonly SandboxObject[]): void;
