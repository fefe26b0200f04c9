import type { RunStatusValue } from '../runs/protocol';

/** What the scheduler says about one job, from squeue or, once the controller forgot it, the jobcomp file (`sacct -c`). */
export interface SlurmJobState {
  jobId: string;
  /** Base state without flags: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY… */
  state: string;
  /** Why it waits or ended (Priority, Resources, NonZeroExitCode…); null when Slurm says None. */
  reason: string | null;
  /** The node the batch script runs on, once it started. */
  node: string | null;
  /** Exit code of the batch script, and the signal that ended it (0 for none). */
  exitCode: number | null;
  signal: number | null;
}

const PENDING_STATES = new Set(['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD', 'SPECIAL_EXIT']);
const STARTING_STATES = new Set(['CONFIGURING', 'RESIZING']);
const ACTIVE_STATES = new Set(['RUNNING', 'COMPLETING', 'SUSPENDED', 'STOPPED', 'SIGNALING', 'STAGE_OUT']);

/** The job still holds or waits for resources. */
export function isActiveSlurmState(state: string): boolean {
  return PENDING_STATES.has(state) || STARTING_STATES.has(state) || ACTIVE_STATES.has(state);
}

/** Waiting or starting: the states during which polling runs fast. */
export function isWaitingSlurmState(state: string): boolean {
  return PENDING_STATES.has(state) || STARTING_STATES.has(state);
}

/** How a finished job ends the run when the launcher could not say it itself. */
export function runStatusOfEndedJob(state: string): RunStatusValue {
  if (state === 'COMPLETED') return 'finished';
  if (state === 'CANCELLED' || state === 'PREEMPTED') return 'killed';
  return 'failed';
}

/** Slurm's `code:signal` pair ("3:0", "0:15"). */
export function decodeExitCode(text: string | undefined): { exitCode: number | null; signal: number | null } {
  const match = /^(\d+):(\d+)$/.exec(text?.trim() ?? '');
  if (!match) return { exitCode: null, signal: null };
  return { exitCode: Number(match[1]), signal: Number(match[2]) };
}

/** The shell convention a run's exit code follows: the code, or 128 + the signal that ended it. */
export function shellExitCode(state: Pick<SlurmJobState, 'exitCode' | 'signal'>): number | null {
  if (state.signal) return 128 + state.signal;
  return state.exitCode;
}

/** The `squeue --Format` fields the monitor asks for, each ended by `|`. */
export const SQUEUE_FORMAT = 'JobID:|,State:|,Reason:|,BatchHost:|,exit_code:|';

/** squeue's exit_code is a raw wait status: 768 is exit 3, 15 is SIGTERM. */
export function decodeWaitStatus(status: number): { exitCode: number; signal: number } {
  return { exitCode: (status >> 8) & 0xff, signal: status & 0x7f };
}

function nullable(value: string | undefined): string | null {
  const text = value?.trim();
  if (!text || text === '(null)' || text === 'None' || text === 'n/a' || text === 'N/A') return null;
  return text;
}

/**
 * Parses `squeue -h -t all -j <ids> --Format` output (SQUEUE_FORMAT). One request for all the jobs
 * followed, light on the controller however many jobs the cluster holds. The output file is not
 * read here: squeue leaves `%j` in custom patterns unexpanded, and the submitter knows the path.
 */
export function parseSqueueJobs(output: string): SlurmJobState[] {
  const jobs: SlurmJobState[] = [];
  for (const line of output.split('\n')) {
    const [jobId, state, reason, host, status] = line.split('|').map((f) => f.trim());
    if (!jobId || !state || !/^\d+$/.test(jobId)) continue;
    const wait = /^\d+$/.test(status ?? '') ? decodeWaitStatus(Number(status)) : null;
    jobs.push({
      jobId,
      state: state.split('+')[0]!,
      reason: nullable(reason),
      node: nullable(host),
      exitCode: wait?.exitCode ?? null,
      signal: wait?.signal ?? null,
    });
  }
  return jobs;
}

/**
 * Parses `sacct -c -P -n -o jobid,state,exitcode,nodelist` (the jobcomp file, read when the
 * controller has already forgotten a job). States may read "CANCELLED by 0".
 */
export function parseSacctLines(output: string): SlurmJobState[] {
  const jobs: SlurmJobState[] = [];
  for (const line of output.split('\n')) {
    const [jobId, state, exit, node] = line.split('|');
    if (!jobId || !state || !/^\d+$/.test(jobId)) continue;
    const { exitCode, signal } = decodeExitCode(exit);
    jobs.push({
      jobId,
      state: state.split(' ')[0]!,
      reason: null,
      node: nullable(node),
      exitCode,
      signal,
    });
  }
  return jobs;
}
