import { parseParamValue } from '../../core/runs/command-line';
import type { SweepDefinitionInput } from '../../core/sweeps/definition';
import { SweepParamSchema } from '../../core/sweeps/definition';

export type SweepParamInput = SweepDefinitionInput['params'][string];

/**
 * A param's sweep written in one line: `0.001, 0.01, 0.1` (values) or `1e-4..1e-1 log steps=4`
 * (a range; `int` for whole numbers). Returns an error message for text it cannot read.
 */
export function parseParamSpec(text: string): SweepParamInput | string {
  const trimmed = text.trim();
  const range = /^(\S+?)\s*\.\.\s*(\S+)((?:\s+(?:log|int|steps=\d+))*)\s*$/i.exec(trimmed);
  if (range) {
    const min = Number(range[1]);
    const max = Number(range[2]);
    if (!Number.isFinite(min) || !Number.isFinite(max)) return 'a range is <min>..<max>, e.g. 1e-4..1e-1';
    const words = (range[3] ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const steps = words.find((w) => w.startsWith('steps='));
    const spec: SweepParamInput = {
      min,
      max,
      ...(words.includes('log') ? { log: true } : {}),
      ...(words.includes('int') ? { type: 'int' as const } : {}),
      ...(steps ? { steps: Number(steps.slice('steps='.length)) } : {}),
    };
    const checked = SweepParamSchema.safeParse(spec);
    return checked.success ? spec : (checked.error.issues[0]?.message ?? 'not a valid range');
  }
  const values = trimmed
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  if (values.length === 0) return 'give values (0.01, 0.1) or a range (1e-4..1e-1 log steps=4)';
  return { values: values.map((v) => parseParamValue(v) ?? v) as (string | number | boolean)[] };
}

/** The one-line form of a param's sweep, as the form shows and edits it. */
export function describeSpec(spec: SweepParamInput): string {
  if ('values' in spec) return spec.values.join(', ');
  const flags = [spec.log && 'log', spec.type === 'int' && 'int', spec.steps && `steps=${spec.steps}`].filter(Boolean);
  return `${spec.min}..${spec.max}${flags.length ? ` ${flags.join(' ')}` : ''}`;
}
