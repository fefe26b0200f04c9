import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The CPU time and memory of a run's whole process tree, read from Linux's /proc: the command,
 * every descendant (DataLoader workers, subprocesses), and anything left in its process group
 * (the launcher starts the command as a group leader, so a grandchild orphaned by its parent
 * still counts).
 *
 * A process outside the tree can never join it (a parent is only ever replaced by init or a
 * subreaper), so each pid is read once to learn that it is outside, and then skipped: a sample
 * reads the folder listing and the tree's own files, not every process on the machine.
 */

/** Clock ticks per second of /proc's times: USER_HZ, 100 on every architecture Linux runs ML on. */
const TICKS_PER_SECOND = 100;

export interface TreeUsage {
  /** CPU seconds the tree has used so far, its reaped children's included. */
  cpuSeconds: number;
  /** Sum of the resident set sizes of the tree's processes (shared pages count in each, as in `ps`). */
  rssBytes: number;
  processes: number;
}

interface ProcessStat {
  /** `Z` for a process that has exited and waits to be reaped: it holds no memory any more. */
  state: string;
  ppid: number;
  pgrp: number;
  cpuTicks: number;
}

export class ProcessTreeReader {
  private readonly members = new Set<number>();
  private readonly outside = new Set<number>();

  constructor(
    private readonly rootPid: number,
    private readonly procRoot = '/proc',
  ) {}

  /**
   * The tree's usage now, or null when its root is gone (or has exited and waits to be reaped, when
   * its memory would read as zero) or /proc cannot be read.
   */
  read(): TreeUsage | null {
    let names: string[];
    try {
      names = readdirSync(this.procRoot);
    } catch {
      return null;
    }
    const present = new Set<number>();
    const fresh: Array<[number, ProcessStat]> = [];
    let cpuTicks = 0;
    let rssBytes = 0;
    const known = new Map<number, ProcessStat>();
    for (const name of names) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid <= 0) continue;
      present.add(pid);
      if (this.outside.has(pid)) continue;
      const stat = this.stat(pid);
      if (!stat) continue;
      if (this.members.has(pid) || pid === this.rootPid) known.set(pid, stat);
      else fresh.push([pid, stat]);
    }
    for (const pid of this.members) if (!known.has(pid)) this.members.delete(pid);
    for (const pid of this.outside) if (!present.has(pid)) this.outside.delete(pid);
    const root = known.get(this.rootPid);
    if (!root || root.state === 'Z') return null;
    for (const pid of known.keys()) this.members.add(pid);
    this.classify(fresh, known);
    for (const [pid, stat] of known) {
      cpuTicks += stat.cpuTicks;
      rssBytes += this.rss(pid);
    }
    return { cpuSeconds: cpuTicks / TICKS_PER_SECOND, rssBytes, processes: known.size };
  }

  /** Sorts processes seen for the first time into the tree or out of it (parents may be fresh too). */
  private classify(fresh: Array<[number, ProcessStat]>, known: Map<number, ProcessStat>): void {
    let rest = fresh;
    for (let changed = true; changed && rest.length > 0;) {
      changed = false;
      const undecided: Array<[number, ProcessStat]> = [];
      for (const [pid, stat] of rest) {
        if (this.members.has(stat.ppid) || stat.pgrp === this.rootPid) {
          this.members.add(pid);
          known.set(pid, stat);
          changed = true;
        } else {
          undecided.push([pid, stat]);
        }
      }
      rest = undecided;
    }
    for (const [pid] of rest) this.outside.add(pid);
  }

  private stat(pid: number): ProcessStat | null {
    let text: string;
    try {
      text = readFileSync(join(this.procRoot, String(pid), 'stat'), 'latin1');
    } catch {
      return null; // gone between the listing and the read
    }
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its last `)`.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const number = (field: number): number => Number(fields[field - 3] ?? 0);
    // utime, stime, and the times of children it has waited for: a worker's CPU stays counted after it exits.
    return {
      state: fields[0] ?? '',
      ppid: number(4),
      pgrp: number(5),
      cpuTicks: number(14) + number(15) + number(16) + number(17),
    };
  }

  private rss(pid: number): number {
    try {
      const status = readFileSync(join(this.procRoot, String(pid), 'status'), 'latin1');
      const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
      return match ? Number(match[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  }
}
