import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../runs/atomic-write';
import { TRACKSIDE_DIR } from '../runs/protocol';
import { SweepDefinitionSchema } from './definition';
import { UserError } from '../user-error';

/** Tags every trial run carries from the moment its folder exists: the sweep groups its runs by them. */
export const SWEEP_TAG = 'trackside.sweep';
export const TRIAL_TAG = 'trackside.trial';

export const SweepTrialRecordSchema = z.object({
  index: z.number().int(),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  runId: z.string().nullable(),
  /** sbatch's refusal, for a Slurm trial that never got a job. */
  error: z.string().nullable().default(null),
});
export type SweepTrialRecord = z.infer<typeof SweepTrialRecordSchema>;

/** `.trackside/sweeps/<id>.json`: a launched sweep, its definition, and the run of each trial. */
export const SweepRecordSchema = z.object({
  version: z.literal(1),
  id: z.string(),
  name: z.string(),
  source: z.string().nullable(),
  createdAt: z.string(),
  definition: SweepDefinitionSchema,
  trials: z.array(SweepTrialRecordSchema),
});
export type SweepRecord = z.infer<typeof SweepRecordSchema>;

export function sweepsDir(workspaceRoot: string): string {
  return join(workspaceRoot, TRACKSIDE_DIR, 'sweeps');
}

export async function writeSweepRecord(workspaceRoot: string, record: SweepRecord): Promise<void> {
  await mkdir(sweepsDir(workspaceRoot), { recursive: true });
  await writeJsonAtomic(join(sweepsDir(workspaceRoot), `${record.id}.json`), record);
}

export class SweepRecordError extends UserError {
  constructor(
    readonly sweepId: string,
    readonly reason: 'not-found' | 'invalid',
    detail: string,
  ) {
    super(`sweep ${sweepId}: ${detail}`);
    this.name = 'SweepRecordError';
  }
}

export async function readSweepRecord(workspaceRoot: string, id: string): Promise<SweepRecord> {
  let text: string;
  try {
    text = await readFile(join(sweepsDir(workspaceRoot), `${id}.json`), 'utf8');
  } catch {
    throw new SweepRecordError(id, 'not-found', 'no such sweep in this workspace');
  }
  const parsed = SweepRecordSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new SweepRecordError(id, 'invalid', parsed.error.issues[0]?.message ?? 'invalid');
  return parsed.data;
}

/** Sweep ids of a workspace, oldest first (ids are ULIDs). */
export async function listSweepIds(workspaceRoot: string): Promise<string[]> {
  try {
    return (await readdir(sweepsDir(workspaceRoot)))
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.slice(0, -'.json'.length))
      .sort();
  } catch {
    return [];
  }
}
