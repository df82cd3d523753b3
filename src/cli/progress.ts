import { paint } from './render';

// Setup progress of a sandbox ("Listing the repository files", "Copied 1 files"). On a terminal it shows in the
// live status line while a session is followed, or as a dim line otherwise; without a terminal it is dropped, so it
// never lands among the events a script reads.

let sink: ((message: string) => void) | null = null;

export function progress(message: string): void {
  if (sink) sink(message);
  else if (process.stderr.isTTY) process.stderr.write(`${paint(true)('dim', message)}\n`);
}

/** Routes progress to `to` until the returned function is called. */
export function routeProgress(to: (message: string) => void): () => void {
  sink = to;
  return () => {
    if (sink === to) sink = null;
  };
}
