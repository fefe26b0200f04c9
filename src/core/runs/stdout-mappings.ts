import { NUMBER, parseNumber } from './printed-values';

/**
 * Printed mappings: `{"loss": 0.5, "step": 10}` (JSON, nested keys joined by `/`) and flat Python
 * dict reprs such as Hugging Face Trainer's `{'loss': 0.52, 'learning_rate': 5e-05, 'epoch': 1.0}`.
 * A mapping counts only when most of its values are numbers: a structured log record
 * (`{"level": "info", "msg": …}`) is not a metric line.
 */

const STEP_KEYS = ['step', 'global_step', 'iter', 'iteration'];
/** Keys of structured log lines that describe the record, not the training. */
const RECORD_KEYS = new Set(['time', 'timestamp', 'ts', 'pid', 'created', 'date', 'msecs', 'thread', 'process']);

export interface MappingReading {
  /** Metric values by key; the key that gave the step is not among them. */
  metrics: Map<string, number>;
  /** The step the mapping names: a `step`-like key, or a whole `epoch`. */
  step: number | null;
  /**
   * A fractional epoch (Trainer logs every N steps: 0.33, 0.67…) is no step; it stays a metric,
   * and the points get no step rather than a stale one that would collide with earlier points.
   */
  stepless: boolean;
}

/** The metrics of a line that is a whole `{…}` mapping, or null when it is none or not metric-shaped. */
export function readMapping(line: string): MappingReading | null {
  const leaves = jsonLeaves(line) ?? reprLeaves(line);
  if (!leaves) return null;
  const metrics = new Map<string, number>();
  let other = 0;
  for (const [key, value] of leaves) {
    if (RECORD_KEYS.has(key.toLowerCase())) continue;
    if (typeof value === 'number') metrics.set(key, value);
    else other++;
  }
  if (metrics.size === 0 || metrics.size <= other) return null;
  let step: number | null = null;
  for (const key of [...STEP_KEYS, 'epoch']) {
    const value = metrics.get(key);
    if (value !== undefined && Number.isInteger(value) && value >= 0) {
      step = value;
      metrics.delete(key);
      break;
    }
  }
  return { metrics, step, stepless: step === null && metrics.has('epoch') };
}

type Leaf = [string, number | string | boolean | null];

function jsonLeaves(line: string): Leaf[] | null {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const leaves: Leaf[] = [];
  const walk = (value: unknown, prefix: string): void => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, prefix ? `${prefix}/${k}` : k);
    } else if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' || value === null) {
      leaves.push([prefix, value]);
    } else {
      leaves.push([prefix, null]);
    }
  };
  walk(data, '');
  return leaves;
}

const REPR_ENTRY = new RegExp(
  String.raw`\s*(['"])((?:(?!\1)[^\\]|\\.)*)\1\s*:\s*(${NUMBER}|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|True|False|None)\s*(?:,|$)`,
  'y',
);

/** A flat Python dict repr, e.g. `{'loss': 0.5, 'epoch': 1.0}`. Anything else (nesting, calls) → null. */
function reprLeaves(line: string): Leaf[] | null {
  const body = line.slice(1, -1);
  const leaves: Leaf[] = [];
  REPR_ENTRY.lastIndex = 0;
  while (REPR_ENTRY.lastIndex < body.length) {
    const start = REPR_ENTRY.lastIndex;
    const match = REPR_ENTRY.exec(body);
    if (!match) return body.slice(start).trim() === '' ? leaves : null;
    const key = match[2] ?? '';
    const raw = match[3] ?? '';
    const number = /^['"TFN]/.test(raw) && !/^nan$/i.test(raw) ? null : parseNumber(raw);
    leaves.push([key, number ?? raw]);
  }
  return leaves.length > 0 ? leaves : null;
}
