import type { StreamPreview } from '../wire';
import type { ToolOutputSnapshot } from '../wire/tool-output';
import { tailLines } from '../tools/live-output';

/**
 * Scrubs the window of a longer output (`cut`: older output was dropped before it; more may follow it), so that a
 * secret cut by either edge shows no part of itself either (the vault scrubber's `window`).
 */
export type ScrubWindow = (text: string, cut: boolean) => Promise<string>;

export interface ToolPreviewer {
  push(snapshot: ToolOutputSnapshot): void;
  /** The call ended: nothing more is shown (its result replaces the preview), even a snapshot still being scrubbed. */
  end(): void;
}

/**
 * Turns one running call's raw output snapshots into `tool_output` previews: each scrubbed before it leaves, one at a
 * time and in order; snapshots that arrive while one is being scrubbed collapse into the newest.
 */
export function toolPreviewer(toolUseId: string, scrub: ScrubWindow, emit: (p: StreamPreview) => void): ToolPreviewer {
  let next: ToolOutputSnapshot | null = null;
  let busy = false;
  let ended = false;
  const drain = async () => {
    busy = true;
    while (next && !ended) {
      const s = next;
      next = null;
      const text = s.binary ? '' : await scrub(s.text, s.cut).catch(() => null);
      // A scrubber that fails shows nothing rather than the raw text.
      if (ended || text === null) continue;
      emit({ type: 'tool_output', tool_use_id: toolUseId, tail: tailLines(text, s.cut), bytes: s.bytes, binary: s.binary });
    }
    busy = false;
  };
  return {
    push(snapshot) {
      if (ended) return;
      next = snapshot;
      if (!busy) void drain();
    },
    end() {
      ended = true;
      next = null;
    },
  };
}
