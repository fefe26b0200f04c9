import { cellAccessor, type Column } from './columns';
import type { CompareRow, CompareTable } from './table';

/** Whether a metric is better small (a loss) or large (an accuracy). */
export type MetricDirection = 'min' | 'max';

/**
 * Loss-like names are minimised by default; everything else is maximised. The user can flip any
 * metric; this only picks the starting point.
 */
const MINIMISED =
  /(loss|err|error|mse|mae|rmse|nll|perplexity|ppl|wer|cer|latency|time|duration|cost|regret|distance)/i;

export function defaultDirection(metricKey: string): MetricDirection {
  return MINIMISED.test(metricKey) ? 'min' : 'max';
}

/** The best value of a metric column over `rows`, or null when no row has one. */
export function bestValue(
  table: CompareTable,
  rows: readonly CompareRow[],
  column: Column,
  direction: MetricDirection,
): number | null {
  if (column.kind !== 'metric') return null;
  const read = cellAccessor(table, column);
  let best: number | null = null;
  for (const row of rows) {
    const value = read(row);
    if (typeof value !== 'number') continue;
    if (best === null || (direction === 'min' ? value < best : value > best)) best = value;
  }
  return best;
}
