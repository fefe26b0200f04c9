import { execFile } from 'node:child_process';
import { SlurmError, type SlurmErrorReason } from './errors';
import { parseSacctLines, parseSqueueJobs, SQUEUE_FORMAT, type SlurmJobState } from './job-state';

export interface SlurmCommandOptions {
  /** Environment of the Slurm commands (SLURM_CONF, PATH); defaults to this process's. */
  env?: NodeJS.ProcessEnv;
  /** A query that takes longer is abandoned (a busy controller must not stall polling). */
  timeoutMs?: number;
}

interface Output {
  stdout: string;
  stderr: string;
}

/**
 * The Slurm client commands a login node has. Every call is asynchronous with a timeout, so a slow
 * or unreachable controller delays an answer but never blocks the caller.
 */
export class SlurmCommands {
  private readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;

  constructor(options: SlurmCommandOptions = {}) {
    this.env = options.env ?? process.env;
    this.timeoutMs = options.timeoutMs ?? 20_000;
  }

  /** Submits a batch script with `sbatch --parsable`; resolves to the job id. */
  async submit(scriptPath: string, cwd: string): Promise<string> {
    const { stdout } = await this.exec('sbatch', ['--parsable', scriptPath], 'submit-rejected', cwd);
    // --parsable prints "id" or "id;cluster".
    const jobId = stdout.trim().split(';')[0] ?? '';
    if (!/^\d+$/.test(jobId)) throw new SlurmError('submit-rejected', 'sbatch printed no job id', stdout.trim());
    return jobId;
  }

  /**
   * The given jobs as the controller knows them (finished ones stay for MinJobAge). Jobs it has
   * forgotten are missing from the answer (all of them forgotten: squeue fails, answered as none).
   */
  async jobs(jobIds: readonly string[]): Promise<SlurmJobState[]> {
    if (jobIds.length === 0) return [];
    const args = ['-h', '-t', 'all', '-j', jobIds.join(','), '-O', SQUEUE_FORMAT];
    try {
      const { stdout } = await this.exec('squeue', args, 'query-failed');
      return parseSqueueJobs(stdout);
    } catch (error) {
      // Only Slurm's own words tell "none of these jobs exists any more" from "controller unreachable",
      // and the second must not end runs: their jobs may well be running.
      if (error instanceof SlurmError && /Invalid job id/i.test(error.detail)) return [];
      throw error;
    }
  }

  /**
   * Finished jobs the controller has forgotten, from accounting (slurmdbd) or, on clusters without
   * it, the job-completion file (`sacct -c`).
   */
  async completedJobs(jobIds: readonly string[]): Promise<SlurmJobState[]> {
    if (jobIds.length === 0) return [];
    const args = ['-P', '-n', '-X', '-o', 'jobid,state,exitcode,nodelist', '-j', jobIds.join(',')];
    try {
      const { stdout } = await this.exec('sacct', args, 'query-failed');
      return parseSacctLines(stdout);
    } catch {
      const { stdout } = await this.exec('sacct', ['-c', ...args.filter((a) => a !== '-X')], 'query-failed');
      return parseSacctLines(stdout);
    }
  }

  async cancel(jobId: string, signal?: string): Promise<void> {
    // Checked here too: an id that reads as an option (`--me`) would cancel every job of the user.
    if (!/^\d+(_\d+)?$/.test(jobId))
      throw new SlurmError('cancel-failed', `${JSON.stringify(jobId)} is not a Slurm job id`);
    await this.exec('scancel', signal ? ['--signal', signal, '--', jobId] : ['--', jobId], 'cancel-failed');
  }

  private exec(command: string, args: string[], reason: SlurmErrorReason, cwd?: string): Promise<Output> {
    return new Promise((resolve, reject) => {
      execFile(
        command,
        args,
        { env: this.env, cwd, timeout: this.timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (!error) return resolve({ stdout, stderr });
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') {
            return reject(new SlurmError('not-installed', `${command} was not found — is this a Slurm login node?`));
          }
          const detail = (stderr || stdout || error.message).trim();
          reject(new SlurmError(reason, `${command} failed`, detail));
        },
      );
    });
  }
}
