import { readFileSync } from 'node:fs';

/** How far a process's start may be from the run's recorded start and still be the run's. */
const START_TOLERANCE_MS = 30_000;

let bootTimeMs: number | null | undefined;

/** When this Linux machine booted (ms since the epoch), from /proc/stat; null elsewhere. */
function bootTime(): number | null {
  if (bootTimeMs !== undefined) return bootTimeMs;
  try {
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    bootTimeMs = btime ? Number(btime) * 1000 : null;
  } catch {
    bootTimeMs = null;
  }
  return bootTimeMs;
}

/** Clock ticks per second of /proc/<pid>/stat times: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;

/** When a process started (ms since the epoch), or null when /proc cannot say. */
export function processStartTime(pid: number): number | null {
  const boot = bootTime();
  if (boot === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: the fields after the last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? boot + (ticks * 1000) / CLOCK_TICKS : null;
  } catch {
    return null;
  }
}

function environmentHas(pid: number, entry: string): boolean | null {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(entry);
  } catch {
    return null;
  }
}

export type ProcessCheck = 'ours' | 'not-ours' | 'gone' | 'unknown';

/**
 * Whether `pid` is a process of the run `runId` that started at `startedAt`: the training process
 * carries TRACKSIDE_RUN_ID=<run id> in its environment, and the launcher started within seconds of
 * the run. A pid a run folder names may be anything (the folder can come from someone else's
 * repository), so nothing is signalled on a pid alone: 0, 1 and negative pids are never the run's.
 * Where /proc is missing (macOS) the answer is 'unknown'.
 */
export function checkRunProcess(pid: number, runId: string, startedAt: string): ProcessCheck {
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return 'not-ours';
  if (bootTime() === null) return 'unknown';
  const started = processStartTime(pid);
  if (started === null) return 'gone';
  if (environmentHas(pid, `TRACKSIDE_RUN_ID=${runId}`)) return 'ours';
  const recorded = Date.parse(startedAt);
  return Number.isFinite(recorded) && Math.abs(started - recorded) <= START_TOLERANCE_MS ? 'ours' : 'not-ours';
}
