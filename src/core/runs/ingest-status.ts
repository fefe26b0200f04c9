import { hostname as localHostname } from 'node:os';
import type { RunStatus, RunStatusValue } from './protocol';

/** What the index shows for a run: the runner's status.json, corrected when its process is gone. */
export interface EffectiveStatus {
  status: RunStatusValue;
  pid: number | null;
  startedAt: string | null;
  endedAt: string | null;
  exitCode: number | null;
  signal: string | null;
  message: string | null;
}

export const ORPHANED_RUN_MESSAGE = 'the process ended without writing its status';

/** True while a process with this pid exists on this machine (EPERM: it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Decided at ingest time and re-decided on every ingest of a run the index holds as running, so
 * every reader (CLI, tree, compare) agrees. A run whose runner was SIGKILLed (or whose machine
 * rebooted) never writes its final status; if it ran on this host and its pid is gone, it is shown
 * as failed. Runs from other hosts (a shared filesystem, a Slurm node) keep their status: their pid
 * means nothing here. A later status.json, written by a runner that was merely slow, wins again.
 */
export function effectiveStatus(
  status: RunStatus | null,
  runHostname: string | null,
  isAlive: (pid: number) => boolean = isProcessAlive,
  thisHostname: string = localHostname(),
): EffectiveStatus {
  if (!status) {
    // Written by a client outside the launcher, or the runner has not written status.json yet.
    return {
      status: 'running',
      pid: null,
      startedAt: null,
      endedAt: null,
      exitCode: null,
      signal: null,
      message: null,
    };
  }
  const base: EffectiveStatus = {
    status: status.status,
    pid: status.pid,
    startedAt: status.startedAt,
    endedAt: status.endedAt,
    exitCode: status.exitCode,
    signal: status.signal,
    message: status.message,
  };
  const unfinished = status.status === 'running' || status.status === 'pending';
  if (unfinished && status.pid !== null && runHostname === thisHostname && !isAlive(status.pid)) {
    return { ...base, status: 'failed', message: ORPHANED_RUN_MESSAGE };
  }
  return base;
}
