import { UserError } from '../user-error';
export type SlurmErrorReason =
  /** sbatch refused the job (bad partition, account, resources): `detail` holds its stderr. */
  | 'submit-rejected'
  /** A Slurm command is not on PATH: not a login node, or Slurm is not installed. */
  | 'not-installed'
  /** squeue/scontrol/sacct failed or answered something unreadable. */
  | 'query-failed'
  | 'cancel-failed'
  /** The run has no Slurm job (never submitted, or not a Slurm run). */
  | 'no-job'
  /** The compute target is unknown or its settings are invalid. */
  | 'bad-target';

/** A Slurm operation that failed; `detail` is the scheduler's own words when there are any. */
export class SlurmError extends UserError {
  constructor(
    readonly reason: SlurmErrorReason,
    message: string,
    readonly detail: string = '',
    /** The run recorded for a rejected submission (ended as failed with the scheduler's message). */
    readonly runId: string | null = null,
  ) {
    super(detail ? `${message}: ${detail}` : message);
    this.name = 'SlurmError';
  }
}
