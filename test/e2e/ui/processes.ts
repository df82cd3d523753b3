import { readdirSync, readFileSync } from 'node:fs';

// code-server's processes as Linux shows them (/proc): the extension hosts it runs for its windows, one per window.

function parentOf(pid: number): number | undefined {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so the fields are read after its last ')'.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function descends(pid: number, ancestor: number): boolean {
  for (let p: number | undefined = pid; p !== undefined && p > 1; p = parentOf(p)) if (p === ancestor) return true;
  return false;
}

/** The pids of the extension hosts under the code-server process `serverPid`. */
export function extensionHosts(serverPid: number): number[] {
  const hosts: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=extensionHost') && descends(pid, serverPid)) hosts.push(pid);
    } catch {
      // the process ended while being read
    }
  }
  return hosts;
}

export function isRunning(pid: number): boolean {
  try {
    // A zombie (exited, not yet reaped) has state Z: it runs nothing.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
