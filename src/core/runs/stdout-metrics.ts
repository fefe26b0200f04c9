/**
 * Zero-code metrics: turns lines a training script prints into metric points. Understood shapes:
 *   `epoch 3 loss=0.41 val_acc=0.93`, `step: 100, loss: 0.2`   key=value / key: value pairs
 *   `{"loss": 0.5, "step": 10}`                                 JSON objects (nested keys joined by `/`)
 *   `{'loss': 0.52, 'learning_rate': 5e-05, 'epoch': 1.0}`      Python dict reprs (Hugging Face Trainer)
 *   `938/938 [====] - 2s 2ms/step - loss: 0.12 - accuracy: 0.91` Keras progress lines
 * The step comes from `epoch N`, `step N`, `iter N` (also `Epoch 3/10`, `Epoch [1/5], Step [100/600]`)
 * in the line or in an earlier header line; `step`/`epoch` keys become the step, not metrics.
 *
 * Prose must never turn into metrics ("Loading data: 50 files", "Using 4 workers", versions,
 * timestamps, URLs), so a line counts only when it is metric-shaped: a structured object whose
 * values are mostly numbers, or text whose words are almost all consumed by pairs and step markers.
 */

export interface ParsedMetric {
  key: string;
  value: number;
  step: number | null;
}

/** An extra pattern: named groups `key` and `value`, or a fixed key and a `value` group (or group 1). */
export interface MetricPattern {
  regex: RegExp;
  key?: string;
}

export class MetricPatternError extends Error {
  constructor(
    readonly pattern: string,
    readonly reason: 'invalid-regex' | 'missing-groups',
    detail: string,
  ) {
    super(`metric pattern ${JSON.stringify(pattern)}: ${detail}`);
    this.name = 'MetricPatternError';
  }
}

/** Builds a pattern from user text; throws MetricPatternError with the reason when it cannot work. */
export function compileMetricPattern(source: string, key?: string): MetricPattern {
  let regex: RegExp;
  try {
    regex = new RegExp(source, 'g');
  } catch (error) {
    throw new MetricPatternError(source, 'invalid-regex', (error as Error).message);
  }
  const hasKeyGroup = source.includes('(?<key>');
  const hasValueGroup = source.includes('(?<value>');
  if (!key && !(hasKeyGroup && hasValueGroup)) {
    throw new MetricPatternError(
      source,
      'missing-groups',
      'needs named groups (?<key>…) and (?<value>…), or a fixed key',
    );
  }
  if (key && !hasValueGroup && new RegExp(`${source}|`).exec('')!.length < 2) {
    throw new MetricPatternError(source, 'missing-groups', 'needs a (?<value>…) group or one capture group');
  }
  return key ? { regex, key } : { regex };
}

const NUMBER = String.raw`[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:[Nn]a[Nn]|[Ii]nf(?:inity)?)`;
const KEY = String.raw`[A-Za-z_]\w*(?:[./-]\w+)*`;
/** A pair: key not glued to a path, flag or word before it; value not followed by a unit, `%`, `.`, `:` or `,digit`. */
const PAIR = new RegExp(String.raw`(?<![\w./'"-])(${KEY})\s*[=:]\s*(${NUMBER})(?![\w.%:/]|,\d)`, 'g');
const STEP_HEADER = new RegExp(
  String.raw`(?<![\w-])(epoch|global_step|step|iteration|iter)\b\s*[:=#]?\s*\[?\s*(\d+)(?:\s*/\s*(\d+))?\s*\]?(?![\w.])`,
  'gi',
);
const STEP_KEYS = new Set(['step', 'global_step', 'iter', 'iteration']);
const DURATION = /^[\d.]+(?:ns|us|µs|ms|s|m|h|min|it|b|kb|mb|gb)?(?:\/(?:step|it|epoch|sample|batch|s))?$/i;
const EXEMPT_WORDS = new Set(['eta', 'info', 'debug', 'warning', 'warn', 'it/s', 's/it']);
/** Keys of structured log lines that describe the record, not the training. */
const RECORD_KEYS = new Set(['time', 'timestamp', 'ts', 'pid', 'created', 'date', 'msecs', 'thread', 'process']);
const MAX_LINE = 8192;
const OBJECT_REPR = /^[A-Za-z_][\w.]*\(.*\)$/;

export class StdoutMetricParser {
  private currentStep: number | null = null;

  constructor(private readonly patterns: readonly MetricPattern[] = []) {}

  /** Metrics in one output line (without its newline); remembers step headers for later lines. */
  parseLine(rawLine: string): ParsedMetric[] {
    const line = stripAnsi(rawLine).trim();
    if (line.length === 0 || line.length > MAX_LINE) return [];
    if (this.patterns.length > 0) {
      const custom = this.matchPatterns(line);
      if (custom.length > 0) return custom;
    }
    if (line.startsWith('{') && line.endsWith('}')) return this.parseMapping(line);
    // `Namespace(lr=0.1, epochs=5)` and other object reprs describe configuration, not progress.
    if (OBJECT_REPR.test(line)) return [];
    return this.parseText(line);
  }

  private matchPatterns(line: string): ParsedMetric[] {
    const found: ParsedMetric[] = [];
    for (const pattern of this.patterns) {
      pattern.regex.lastIndex = 0;
      for (const match of line.matchAll(pattern.regex)) {
        const key = pattern.key ?? match.groups?.key;
        const value = parseNumber(match.groups?.value ?? match[1] ?? '');
        const step = match.groups?.step !== undefined ? Number.parseInt(match.groups.step, 10) : null;
        if (!key || value === null) continue;
        if (step !== null && Number.isFinite(step)) this.currentStep = step;
        found.push({ key, value, step: this.currentStep });
      }
    }
    return found;
  }

  private parseMapping(line: string): ParsedMetric[] {
    const leaves = jsonLeaves(line) ?? reprLeaves(line);
    if (!leaves) return [];
    const numeric = new Map<string, number>();
    let other = 0;
    for (const [key, value] of leaves) {
      if (RECORD_KEYS.has(key.toLowerCase())) continue;
      if (typeof value === 'number') numeric.set(key, value);
      else other++;
    }
    if (numeric.size === 0 || numeric.size <= other) return [];
    let step: number | null = null;
    for (const key of STEP_KEYS) {
      const value = numeric.get(key);
      if (value !== undefined && Number.isInteger(value) && value >= 0) {
        step = value;
        numeric.delete(key);
        break;
      }
    }
    const epoch = numeric.get('epoch');
    if (step === null && epoch !== undefined && Number.isInteger(epoch) && epoch >= 0) {
      step = epoch;
      numeric.delete('epoch');
    }
    if (numeric.size === 0) {
      if (step !== null) this.currentStep = step;
      return [];
    }
    if (step !== null) this.currentStep = step;
    // A fractional epoch (Trainer logs every N steps: 0.33, 0.67…) is no step; it stays a metric,
    // and the point gets no step rather than a stale one that would collide with earlier points.
    const at = step ?? (numeric.has('epoch') ? null : this.currentStep);
    return [...numeric].map(([key, value]) => ({ key, value, step: at }));
  }

  private parseText(line: string): ParsedMetric[] {
    let masked = line;
    let epoch: { value: number; total: boolean } | null = null;
    let step: { value: number; total: number | null } | null = null;
    for (const match of line.matchAll(STEP_HEADER)) {
      const name = (match[1] ?? '').toLowerCase();
      const value = Number.parseInt(match[2] ?? '', 10);
      const total = match[3] !== undefined ? Number.parseInt(match[3], 10) : null;
      if (name === 'epoch') epoch ??= { value, total: total !== null };
      else step ??= { value, total };
      masked = mask(masked, match.index, match[0].length);
    }
    const pairs: Array<{ key: string; value: number }> = [];
    for (const match of masked.matchAll(PAIR)) {
      const value = parseNumber(match[2] ?? '');
      if (value === null || !match[1]) continue;
      pairs.push({ key: match[1], value });
      masked = mask(masked, match.index, match[0].length);
    }
    const words = countWords(masked);
    const stepValue = combineSteps(epoch, step);
    if (pairs.length === 0) {
      // A header line such as `Epoch 3/10` sets the step for the lines that follow.
      if (stepValue !== null && words <= 2) this.currentStep = stepValue;
      return [];
    }
    const structure = pairs.length + (stepValue !== null ? 1 : 0);
    const metricShaped = words === 0 || (structure >= 2 && words <= Math.min(2, structure - 1));
    if (!metricShaped) return [];
    if (stepValue !== null) this.currentStep = stepValue;
    const at = stepValue ?? this.currentStep;
    return pairs.map(({ key, value }) => ({ key, value, step: at }));
  }
}

/**
 * `Epoch [2/5], Step [100/600]` counts steps within an epoch: it becomes the global step
 * (epoch − 1) × 600 + 100 so points of different epochs do not collide. A lone step or epoch is used as is.
 */
function combineSteps(
  epoch: { value: number; total: boolean } | null,
  step: { value: number; total: number | null } | null,
): number | null {
  if (step && epoch && step.total !== null) return Math.max(epoch.value - 1, 0) * step.total + step.value;
  if (step) return step.value;
  return epoch ? epoch.value : null;
}

function mask(text: string, index: number | undefined, length: number): string {
  const at = index ?? 0;
  return `${text.slice(0, at)}${' '.repeat(length)}${text.slice(at + length)}`;
}

/** Words left once pairs and steps are gone; progress bars, counters, durations and log levels do not count. */
function countWords(rest: string): number {
  let words = 0;
  for (const token of rest.split(/[\s|,;()[\]{}<>]+/)) {
    const bare = token.replace(/^[^\w]+|[^\w/]+$/g, '');
    if (!/[A-Za-z]/.test(bare)) continue;
    if (DURATION.test(bare) || EXEMPT_WORDS.has(bare.toLowerCase())) continue;
    words++;
  }
  return words;
}

function parseNumber(text: string): number | null {
  const lower = text.trim().toLowerCase().replace(/^\+/, '');
  if (lower === 'nan' || lower === '-nan') return Number.NaN;
  if (lower === 'inf' || lower === 'infinity') return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  if (lower === '') return null;
  const value = Number(lower);
  return Number.isNaN(value) ? null : value;
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

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07/g;

function stripAnsi(text: string): string {
  return text.includes('\x1b') ? text.replace(ANSI, '') : text;
}
