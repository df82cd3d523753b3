// How a model's context window reads on every surface (the CLI's `hangar models`, VS Code's model picker).

/** 1M, 200k, and 32k for 32768 (binary sizes are how local servers give windows). */
export function formatWindow(tokens: number): string {
  if (tokens >= 1_000_000) return `${tokens / 1_000_000}M`;
  return `${tokens % 1024 === 0 ? tokens / 1024 : Math.round(tokens / 1000)}k`;
}
