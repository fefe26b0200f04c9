import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launcherArgsFor, reserveRun } from '../queue/reserved-run';
import { PROTOCOL_VERSION, type ParamValue } from '../runs/protocol';
import { renderBatchScript } from './batch-script';
import { SlurmError } from './errors';
import { SLURM_SCRIPT_FILE, writeSlurmJob, type SlurmJobRecord } from './job-record';
import type { SlurmCommands } from './slurm-commands';
import type { SlurmTarget } from './target';

export interface SlurmSubmitOptions {
  command: readonly string[];
  cwd: string;
  workspaceRoot: string;
  /** The target's name (recorded with the run) and its settings. */
  targetName: string;
  target: SlurmTarget;
  /** The bundled CLI (`dist/cli.js`) as the compute nodes see it. */
  cliPath: string;
  slurm: SlurmCommands;
  experiment?: string;
  name?: string;
  params?: Record<string, ParamValue>;
  tags?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
}

export interface SlurmSubmission {
  runId: string;
  runDir: string;
  jobId: string;
}

/** The job's output file inside the run folder; Slurm expands %j to the job id. */
export const SLURM_OUTPUT_PATTERN = 'slurm-%j.out';

/**
 * Records a pending run and submits a batch script that runs the launcher on a node. When sbatch
 * refuses the job, the run ends as failed with the scheduler's message (in status.json and
 * output.log) and a SlurmError with reason `submit-rejected` carries the same text.
 */
export async function submitSlurmRun(options: SlurmSubmitOptions): Promise<SlurmSubmission> {
  const run = await reserveRun({
    command: options.command,
    cwd: options.cwd,
    workspaceRoot: options.workspaceRoot,
    experiment: options.experiment,
    name: options.name,
    params: options.params,
    env: options.env,
    tags: options.tags,
    status: 'pending',
    placement: { kind: 'slurm', jobId: null, node: null },
    message: `submitting to ${options.targetName}`,
  });
  const scriptPath = join(run.folder.dir, SLURM_SCRIPT_FILE);
  const outputPattern = join(run.folder.dir, SLURM_OUTPUT_PATTERN);
  await writeFile(
    scriptPath,
    renderBatchScript({
      target: options.target,
      runId: run.id,
      jobName: `${run.info.experiment}/${run.info.name}`,
      cwd: run.cwd,
      outputFile: outputPattern,
      cliPath: options.cliPath,
      launcherArgs: launcherArgsFor(run, options.params),
      command: options.command,
    }),
    { mode: 0o755 },
  );
  const record: SlurmJobRecord = {
    version: 1,
    jobId: null,
    target: options.targetName,
    submittedAt: new Date().toISOString(),
    state: 'SUBMITTING',
    reason: null,
    node: null,
    exitCode: null,
    signal: null,
    outputFile: null,
    gpus: describeGpus(options.target),
    updatedAt: new Date().toISOString(),
  };
  let jobId: string;
  try {
    jobId = await options.slurm.submit(scriptPath, run.cwd);
  } catch (error) {
    const text = error instanceof SlurmError ? error.detail || error.message : String(error);
    await writeFile(run.folder.path('output'), `${text}\n`);
    await writeSlurmJob(run.folder.dir, { ...record, state: 'REJECTED', reason: text, updatedAt: now() });
    await run.folder.writeStatus({
      version: PROTOCOL_VERSION,
      status: 'failed',
      pid: null,
      exitCode: null,
      signal: null,
      startedAt: run.info.createdAt,
      endedAt: now(),
      message: `Slurm refused the job: ${text}`,
    });
    if (error instanceof SlurmError) {
      throw new SlurmError(error.reason, `Slurm refused run ${run.id}`, error.detail, run.id);
    }
    throw error;
  }
  await writeSlurmJob(run.folder.dir, {
    ...record,
    jobId,
    state: 'PENDING',
    outputFile: outputPattern.replace('%j', jobId),
    updatedAt: now(),
  });
  return { runId: run.id, runDir: run.folder.dir, jobId };
}

function describeGpus(target: SlurmTarget): string | null {
  if (target.gpus !== undefined) return String(target.gpus);
  return target.gres ?? null;
}

function now(): string {
  return new Date().toISOString();
}
