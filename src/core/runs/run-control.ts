import { readRunStatus } from './reader';
import { UserError } from '../user-error';

/** Why a stop request could not be carried out. */
export class StopRunError extends UserError {
  constructor(
    readonly reason: 'not-running' | 'no-process' | 'permission',
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
  const targets: Array<[number, NodeJS.Signals]> = [];
  if (mode === 'graceful' && status.runnerPid) targets.push([status.runnerPid, 'SIGTERM']);
  if (status.pid) targets.push([-status.pid, mode === 'force' ? 'SIGKILL' : 'SIGTERM']);
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
