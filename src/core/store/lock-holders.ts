import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface LockHolder {
  pid: number;
  command: string;
}

/**
 * The other processes that have the index (or its WAL files) open, from `/proc` (Linux; elsewhere
 * none are found and the message says only that another process holds it). Only asked after a
 * lock wait ran out, so a scan of every process is affordable.
 */
export function processesHolding(path: string): LockHolder[] {
  const files = new Set([path, `${path}-wal`, `${path}-shm`]);
  const holders: LockHolder[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid);
  } catch {
    return [];
  }
  for (const pid of pids) {
    try {
      const fds = readdirSync(`/proc/${pid}/fd`);
      if (!fds.some((fd) => files.has(safeReadlink(`/proc/${pid}/fd/${fd}`)))) continue;
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      holders.push({ pid: Number(pid), command: command.slice(0, 200) });
    } catch {
      // Another user's process, or one that just ended.
    }
  }
  return holders;
}

function safeReadlink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}
