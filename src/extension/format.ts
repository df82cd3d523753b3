// Small text formats of the sidebar and tooltips (no vscode import: unit-tested in Node); costs: src/format/cost.ts.

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m % 60).padStart(2, '0')}m`;
}

/** A one-line session title from the task text. */
export function titleFrom(task: string, max = 80): string {
  const line = task.trim().split(/\r?\n/)[0]?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line || 'Untitled task';
}
