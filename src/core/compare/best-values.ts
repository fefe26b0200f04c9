import type { MetricDirection } from '../metrics/direction';
import { cellAccessor, type Column } from './columns';
import type { CompareRow, CompareTable } from '../../protocol/compare';

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
