import type { SweepDefinition, SweepParam } from './definition';
import { UserError } from '../user-error';

export type TrialValue = string | number | boolean;

export interface Trial {
  /** 0-based, in launch order. */
  index: number;
  params: Record<string, TrialValue>;
}

/** Grid sweeps larger than this are refused rather than expanded in memory. */
export const MAX_TRIALS = 10_000;

export class SweepExpansionError extends UserError {
  readonly reason = 'too-many-trials';
  constructor(readonly count: number) {
    super(`the sweep has ${count} trials, more than ${MAX_TRIALS} — narrow it or set a budget`);
    this.name = 'SweepExpansionError';
  }
}

/**
 * The trials of a sweep. Grid: every combination, the first param varying slowest, cut at the
 * budget. Random: `budget` samples from a PRNG seeded with `seed`, so a sweep file always expands
 * to the same trials (a resumed or re-run sweep tries the same points).
 */
export function expandTrials(sweep: SweepDefinition): Trial[] {
  const keys = Object.keys(sweep.params);
  if (sweep.method === 'grid') {
    const axes = keys.map((key) => gridValues(sweep.params[key]!));
    const total = axes.reduce((n, axis) => n * axis.length, 1);
    const count = Math.min(total, sweep.budget ?? total);
    if (count > MAX_TRIALS) throw new SweepExpansionError(count);
    const trials: Trial[] = [];
    for (let index = 0; index < count; index++) {
      const params: Record<string, TrialValue> = {};
      let rest = index;
      for (let k = keys.length - 1; k >= 0; k--) {
        const axis = axes[k]!;
        params[keys[k]!] = axis[rest % axis.length]!;
        rest = Math.floor(rest / axis.length);
      }
      trials.push({ index, params: Object.fromEntries(keys.map((key) => [key, params[key]!])) });
    }
    return trials;
  }
  const count = sweep.budget ?? 1;
  if (count > MAX_TRIALS) throw new SweepExpansionError(count);
  const random = mulberry32(sweep.seed);
  return Array.from({ length: count }, (_, index) => ({
    index,
    params: Object.fromEntries(keys.map((key) => [key, sample(sweep.params[key]!, random)])),
  }));
}

export function gridValues(spec: SweepParam): TrialValue[] {
  if ('values' in spec) return spec.values;
  if (spec.type === 'int' && spec.steps === undefined) {
    const values: number[] = [];
    for (let v = Math.ceil(spec.min); v <= Math.floor(spec.max); v++) values.push(v);
    if (values.length > MAX_TRIALS) throw new SweepExpansionError(values.length);
    return values;
  }
  const steps = spec.steps ?? 2;
  const values = Array.from({ length: steps }, (_, i) => {
    const t = i / (steps - 1);
    const v = spec.log
      ? Math.exp(Math.log(spec.min) + t * (Math.log(spec.max) - Math.log(spec.min)))
      : spec.min + t * (spec.max - spec.min);
    return spec.type === 'int' ? Math.round(v) : roundFloat(v);
  });
  return [...new Set(values)];
}

function sample(spec: SweepParam, random: () => number): TrialValue {
  if ('values' in spec) return spec.values[Math.floor(random() * spec.values.length)]!;
  const u = random();
  const v = spec.log
    ? Math.exp(Math.log(spec.min) + u * (Math.log(spec.max) - Math.log(spec.min)))
    : spec.min + u * (spec.max - spec.min);
  return spec.type === 'int' ? Math.min(spec.max, Math.max(spec.min, Math.round(v))) : roundFloat(v);
}

/** 12 significant digits: grid points read as written (0.1, not 0.10000000000000002). */
function roundFloat(v: number): number {
  return Number(v.toPrecision(12));
}

/** A small, well-distributed 32-bit PRNG: reproducible across platforms, unlike Math.random. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The command a trial runs: the sweep's command with `--<param> <value>` for each param. */
export function trialCommand(command: readonly string[], params: Record<string, TrialValue>): string[] {
  return [...command, ...Object.entries(params).flatMap(([key, value]) => [`--${key}`, String(value)])];
}
