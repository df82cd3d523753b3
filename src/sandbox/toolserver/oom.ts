import { readFileSync } from 'node:fs';

// The cgroup's OOM-kill counter (v2: memory.events, v1: memory.oom_control, kernel >= 4.13). When it moves during
// a call, the kernel killed something in the container for memory, which the model must hear about by name.

const SOURCES = ['/sys/fs/cgroup/memory.events', '/sys/fs/cgroup/memory/memory.oom_control'];

export function oomKills(): number | null {
  for (const file of SOURCES) {
    try {
      const m = /^oom_kill (\d+)$/m.exec(readFileSync(file, 'utf8'));
      if (m) return Number(m[1]);
    } catch {
      // not this cgroup version
    }
  }
  return null;
}
