import { basename } from 'node:path';
import { checkRunProcess } from './process-identity';
import { readRunStatus } from './reader';
import { UserError } from '../user-error';

/** Why a stop request could not be carried out. */
export class StopRunError extends UserError {
  constructor(
    readonly reason: 'not-running' | 'no-process' | 'permission' | 'not-ours',
    message: string,
  ) {
    super(message);
    this.name = 'StopRunError';
  }
}

export type StopMode = 'graceful' | 'force';

/**
 * Stops a local run. Graceful: SIGTERM to the launcher, which records the run as stopped on
 * request and forwards the signal to the training process tree (the script may save a checkpoint).
 * Force: SIGKILL to the training command's whole process group, then the launcher writes the end.
 */
export async function stopLocalRun(runDir: string, mode: StopMode = 'graceful'): Promise<void> {
  const status = await readRunStatus(runDir);
  if (!status || (status.status !== 'running' && status.status !== 'pending')) {
    throw new StopRunError('not-running', `the run is not running (${status?.status ?? 'no status yet'})`);
  }
  const runId = basename(runDir);
  const candidates: Array<[number, number, NodeJS.Signals]> = [];
  if (mode === 'graceful' && status.runnerPid) candidates.push([status.runnerPid, status.runnerPid, 'SIGTERM']);
  if (status.pid) candidates.push([status.pid, -status.pid, mode === 'force' ? 'SIGKILL' : 'SIGTERM']);
  // Only processes proven to be the run's are signalled: a crafted status.json could name any pid.
  const targets: Array<[number, NodeJS.Signals]> = [];
  let refused: number | undefined;
  for (const [pid, target, signal] of candidates) {
    const check = checkRunProcess(pid, runId, status.startedAt);
    if (check === 'ours' || check === 'unknown') targets.push([target, signal]);
    else if (check === 'not-ours') refused = pid;
  }
  if (targets.length === 0 && refused !== undefined) {
    throw new StopRunError(
      'not-ours',
      `process ${refused} that status.json names is not this run's (another program has that pid, or the file was edited): nothing was signalled`,
    );
  }
  for (const [pid, signal] of targets) {
    try {
      process.kill(pid, signal);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPERM') throw new StopRunError('permission', `not allowed to signal process ${Math.abs(pid)}`);
      // ESRCH: that process is gone; try the next one.
    }
  }
  throw new StopRunError('no-process', 'the run has no live process on this machine: it may have ended already');
}
