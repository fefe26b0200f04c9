import { z } from 'zod';

const ParamScalar = z.union([z.string(), z.number(), z.boolean()]);

const ValuesSpec = z
  .object({
    values: z.array(ParamScalar).min(1).describe('The values to try, in order.'),
  })
  .strict();

const RangeSpec = z
  .object({
    min: z.number().describe('Smallest value.'),
    max: z.number().describe('Largest value.'),
    log: z.boolean().default(false).describe('Sample (or space grid points) on a log scale; min and max must be > 0.'),
    type: z.enum(['float', 'int']).default('float').describe('int rounds every value to a whole number.'),
    steps: z
      .number()
      .int()
      .min(2)
      .optional()
      .describe('Grid points between min and max (grid only; int ranges default to every integer).'),
  })
  .strict()
  .refine((r) => r.max >= r.min, { message: 'max must be at least min', path: ['max'] })
  .refine((r) => !r.log || r.min > 0, { message: 'a log range needs min > 0', path: ['min'] });

export const SweepParamSchema = z.union([ValuesSpec, RangeSpec]);
export type SweepParam = z.infer<typeof SweepParamSchema>;

/**
 * A sweep over a script's params, as written in `*.sweep.json` / `*.sweep.yaml`. Each trial runs
 * `command` with `--<param> <value>` appended for every param, as a run of its own.
 */
export const SweepDefinitionSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().min(1).optional().describe('Shown as the sweep group in the Experiments view.'),
    command: z
      .array(z.string().min(1))
      .min(1)
      .describe('The training command, e.g. ["python", "train.py"]; each trial appends --<param> <value>.'),
    experiment: z.string().min(1).optional().describe('Experiment the trials are filed under.'),
    method: z.enum(['grid', 'random']).describe('grid: every combination in order; random: seeded samples.'),
    params: z
      .record(z.string().regex(/^[A-Za-z_][\w.-]*$/, 'a param name such as lr or batch_size'), SweepParamSchema)
      .refine((p) => Object.keys(p).length > 0, { message: 'a sweep needs at least one param' })
      .describe('Params to sweep: a list of values, or a range {min, max, log?, type?, steps?}.'),
    budget: z.number().int().positive().optional().describe('Most trials to run (required for random).'),
    seed: z.number().int().default(0).describe('Seed of the random sampler: the same seed gives the same trials.'),
    metric: z
      .object({
        name: z.string().min(1).describe('Metric key the trials log, e.g. val_loss.'),
        goal: z.enum(['min', 'max']).describe('Whether lower or higher is better.'),
      })
      .strict(),
    target: z.enum(['local', 'slurm']).default('local').describe('Run trials in the local queue or on Slurm.'),
    compute: z.string().min(1).optional().describe('Slurm compute target (a name in trackside.compute).'),
    concurrency: z.number().int().positive().optional().describe('Trials running at once in the local queue.'),
  })
  .strict()
  .superRefine((sweep, ctx) => {
    if (sweep.method === 'random' && sweep.budget === undefined) {
      ctx.addIssue({ code: 'custom', path: ['budget'], message: 'a random sweep needs a budget (number of trials)' });
    }
    if (sweep.method === 'grid') {
      for (const [key, spec] of Object.entries(sweep.params)) {
        if ('min' in spec && spec.type === 'float' && spec.steps === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['params', key, 'steps'],
            message: 'a float range in a grid sweep needs steps (how many grid points)',
          });
        }
      }
    }
  });
export type SweepDefinition = z.infer<typeof SweepDefinitionSchema>;
/** What a sweep file may contain before defaults are applied. */
export type SweepDefinitionInput = z.input<typeof SweepDefinitionSchema>;
