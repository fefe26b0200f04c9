import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../runs/atomic-write';

/**
 * `slurm.json` in a Slurm run's folder: what the scheduler says about the job. The submitter and the
 * job monitor write it (never the launcher on the node), so run.json and status.json keep one writer
 * each while the job waits in the queue, and the run shows its job id and reason at once.
 */
export const SLURM_JOB_FILE = 'slurm.json';
export const SLURM_SCRIPT_FILE = 'slurm.sh';

export const SlurmJobRecordSchema = z.object({
  version: z.literal(1),
  /** `1234`, or `1234_5` for an array task: anything else would reach scancel/scontrol as an option. */
  jobId: z
    .string()
    .regex(/^\d+(_\d+)?$/, 'a Slurm job id is digits')
    .nullable(),
  /** The compute target it was submitted to (a name in `trackside.compute`). */
  target: z.string(),
  submittedAt: z.string(),
  state: z.string(),
  reason: z.string().nullable(),
  node: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  signal: z.number().int().nullable(),
  /** The job's own output file (launcher output plus anything Slurm or the batch script printed). */
  outputFile: z.string().nullable(),
  /** GPUs or gres asked for, shown beside the run. */
  gpus: z.string().nullable(),
  updatedAt: z.string(),
});
export type SlurmJobRecord = z.infer<typeof SlurmJobRecordSchema>;

export function slurmJobPath(runDir: string): string {
  return join(runDir, SLURM_JOB_FILE);
}

/** The job record, or null when the run is not a Slurm run (or the file is unreadable). */
export async function readSlurmJob(runDir: string): Promise<SlurmJobRecord | null> {
  try {
    const parsed = SlurmJobRecordSchema.safeParse(JSON.parse(await readFile(slurmJobPath(runDir), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function writeSlurmJob(runDir: string, record: SlurmJobRecord): Promise<void> {
  return writeJsonAtomic(slurmJobPath(runDir), record);
}
