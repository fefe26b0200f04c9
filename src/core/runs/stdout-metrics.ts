import { stripTerminalControl, parseNumber } from './printed-values';
import { readMapping } from './stdout-mappings';
import { TableReader, type TableRow } from './stdout-tables';
import { readTextLine, type PrintedPair } from './stdout-text';

/**
 * Zero-code metrics: turns what a training script prints into metric points. Understood shapes:
 *   `epoch 3 loss=0.41 val_acc=0.93`, `step: 100, loss: 0.2`   key=value / key: value pairs
 *   `Validation score: 0.9`, `Test set: Average loss: 0.1, Accuracy: 98%`  names of several words
 *   `Loss: 0.000987 after 316 batches`                          one named measure in prose (no step)
 *   `{"loss": 0.5, "step": 10}`                                 JSON objects (nested keys joined by `/`)
 *   `{'loss': 0.52, 'learning_rate': 5e-05, 'epoch': 1.0}`      Python dict reprs (Hugging Face Trainer)
 *   `938/938 [====] - 2s 2ms/step - loss: 0.12 - accuracy: 0.91` Keras progress lines
 *   `[0]\tvalidation_0-logloss:0.46304`, `[10]\tvalid_0's auc: 0.9`  XGBoost and LightGBM rounds
 *   `Iter  Train Loss  Remaining Time`, then rows of numbers      tables (see stdout-tables.ts)
 *   `45%|████▌     | 90/200 [00:01<00:01, loss=0.5, acc=0.8]`     tqdm and Lightning bars, live
 * The step comes from `epoch N`, `step N`, `iter N`, `Round N`, `[N]` (also `Epoch 3/10`,
 * `Epoch [1/5], Step [100/600]`) in the line or in an earlier header line, from a table's
 * iteration column, or, for a progress bar with neither, from the bar's count. Live points of a
 * bar inside an epoch share that epoch's step.
 *
 * Percentages stay on the printed 0–100 scale, so the chart shows the number the terminal showed:
 * `Accuracy: 98%` is 98, and `Accuracy: 9890/10000 (99%)` the exact 98.9.
 *
 * Prose must never turn into metrics ("Loading data: 50 files", "Using 4 workers", versions,
 * timestamps, URLs), so a line counts only when it is metric-shaped: a structured object whose
 * values are mostly numbers, a table row under a header, or text whose words are almost all
 * consumed by pairs and step markers.
 */

export interface ParsedMetric {
  key: string;
  value: number;
  step: number | null;
  /** The name as printed, when it differs from the key (`Validation score` for `validation_score`). */
  label?: string;
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

const MAX_LINE = 8192;
const OBJECT_REPR = /^[A-Za-z_][\w.]*\(.*\)$/;

export class StdoutMetricParser {
  private currentStep: number | null = null;
  private readonly tables = new TableReader();

  constructor(private readonly patterns: readonly MetricPattern[] = []) {}

  /** Metrics in one output line (without its newline); remembers step and table headers for later lines. */
  parseLine(rawLine: string): ParsedMetric[] {
    return this.parse(rawLine, false);
  }

  /**
   * Metrics in one redraw of a progress bar: the text a carriage return is about to overwrite.
   * A redraw is read like a line, except that it never starts, continues or ends a table.
   */
  parseRedraw(rawSegment: string): ParsedMetric[] {
    return this.parse(rawSegment, true);
  }

  private parse(raw: string, redraw: boolean): ParsedMetric[] {
    const line = stripTerminalControl(raw).trim();
    if (line.length > MAX_LINE) return [];
    if (!redraw) {
      const row = this.tables.read(line);
      if (row) return this.fromTable(row);
    }
    if (line.length === 0) return [];
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
    const mapping = readMapping(line);
    if (!mapping) return [];
    if (mapping.step !== null) this.currentStep = mapping.step;
    const at = mapping.step ?? (mapping.stepless ? null : this.currentStep);
    return [...mapping.metrics].map(([key, value]) => ({ key, value, step: at }));
  }

  private parseText(line: string): ParsedMetric[] {
    const reading = readTextLine(line);
    switch (reading.kind) {
      case 'step-header':
        this.currentStep = reading.step;
        return [];
      case 'summary':
        return withStep(reading.pairs, null);
      case 'metrics':
        if (reading.step !== null) this.currentStep = reading.step;
        return withStep(reading.pairs, reading.step ?? this.currentStep ?? reading.barCount);
      default:
        return [];
    }
  }

  private fromTable(row: TableRow): ParsedMetric[] {
    if (row.step !== null) this.currentStep = row.step;
    return withStep(row.pairs, row.step);
  }
}

function withStep(pairs: readonly PrintedPair[], step: number | null): ParsedMetric[] {
  return pairs.map((pair) => ({ ...pair, step }));
}
