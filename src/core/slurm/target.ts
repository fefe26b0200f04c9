import { z } from 'zod';
import { SlurmError } from './errors';

/** Slurm accepts minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM and D-HH:MM:SS, or UNLIMITED. */
const SLURM_TIME = /^(UNLIMITED|INFINITE|\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+(:\d{1,2}){0,2})$/i;
/** One line of a batch script: a newline would end the directive and start a command. */
const singleLine = z
  .string()
  .min(1)
  .regex(/^[^\n\r"]+$/, 'must be one line without double quotes');

/**
 * A Slurm compute target, as set in `trackside.compute` (editor settings) or `.trackside/compute.json`
 * (CLI). Every field maps to one sbatch option; what is left out uses the cluster's defaults.
 */
export const SlurmTargetSchema = z
  .object({
    kind: z.literal('slurm').default('slurm'),
    partition: singleLine.optional().describe('Partition (queue) to submit to: sbatch --partition.'),
    account: singleLine.optional().describe('Account charged for the job: sbatch --account.'),
    time: z
      .string()
      .regex(SLURM_TIME, 'a Slurm time limit such as 30, 4:00:00 or 1-12:00')
      .optional()
      .describe('Time limit: sbatch --time (minutes, HH:MM:SS or D-HH:MM).'),
    cpus: z.number().int().positive().optional().describe('CPUs for the training process: sbatch --cpus-per-task.'),
    mem: z
      .string()
      .regex(/^\d+[KMGT]?$/i, 'a size such as 16G or 8000M')
      .optional()
      .describe('Memory per node: sbatch --mem.'),
    gpus: z
      .union([z.number().int().positive(), singleLine])
      .optional()
      .describe('GPUs: a count, or type:count such as a100:2 (sbatch --gpus).'),
    gres: singleLine.optional().describe('Generic resources, such as gpu:2 (sbatch --gres).'),
    extraOptions: z
      .array(singleLine.regex(/^-/, 'an sbatch option starting with - or --'))
      .default([])
      .describe('More sbatch options, one per item, such as --qos=high or --constraint=v100.'),
    interpreter: singleLine
      .optional()
      .describe('Python interpreter on the compute nodes; replaces a python command given to the run.'),
    node: singleLine.default('node').describe('Node.js executable on the compute nodes, which runs the launcher.'),
    setup: z
      .array(z.string().regex(/^[^\n\r]*$/, 'one shell line'))
      .default([])
      .describe('Shell lines run before the launcher, such as `module load cuda/12.1`.'),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
  })
  .strict();
export type SlurmTarget = z.infer<typeof SlurmTargetSchema>;

/** `trackside.compute`: named targets. */
export const ComputeTargetsSchema = z.record(z.string().min(1), SlurmTargetSchema);
export type ComputeTargets = z.infer<typeof ComputeTargetsSchema>;

/** Validates targets read from settings or a file; the error names the field and what it expects. */
export function parseComputeTargets(data: unknown, source: string): ComputeTargets {
  const parsed = ComputeTargetsSchema.safeParse(data ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.join('.') || '(root)';
  throw new SlurmError('bad-target', `${source}: ${where}: ${issue?.message ?? 'invalid'}`);
}

export function resolveTarget(targets: ComputeTargets, name: string): SlurmTarget {
  const target = targets[name];
  if (target) return target;
  const known = Object.keys(targets);
  throw new SlurmError(
    'bad-target',
    `no compute target named "${name}"`,
    known.length ? `known targets: ${known.join(', ')}` : 'none is configured (trackside.compute)',
  );
}
