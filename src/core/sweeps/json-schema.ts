import { z } from 'zod';
import { SweepDefinitionSchema } from './definition';

/**
 * The JSON Schema of sweep files, generated from the zod schema (the one source of truth) into
 * `schemas/sweep.schema.json`, which the editor uses for completion and validation as you type.
 */
export function sweepJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(SweepDefinitionSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return {
    ...schema,
    $id: 'https://trackside.dev/schemas/sweep.schema.json',
    title: 'Trackside sweep',
    description:
      'A hyperparameter sweep: the command, the params to vary, the metric to optimise and where trials run.',
  };
}
