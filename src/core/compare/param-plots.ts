import { cellAccessor, compareCells, resolveColumn, type Column } from './columns';
import type { CompareRow, CompareTable, ParamCell } from '../../protocol/compare';

/**
 * Data for the two param charts, computed here rather than with vega transforms (the interpreter
 * that runs vega under the webview CSP is slow on large data).
 */

export interface ParallelAxis {
  id: string;
  label: string;
  /** Numeric axes span [min, max]; categorical axes place their values evenly. */
  kind: 'numeric' | 'categorical';
  min: number;
  max: number;
  categories: string[];
}

export interface ParallelPoint {
  runId: string;
  name: string;
  axis: string;
  axisIndex: number;
  /** Position on the axis in [0, 1]. */
  position: number;
  /** The value as shown in the tooltip. */
  value: string;
}

/**
 * Parallel coordinates over the params that differ between the runs, then `metric` last. A run
 * without a value on some axis simply has no point there.
 */
export function parallelCoordinates(
  table: CompareTable,
  rows: readonly CompareRow[],
  paramKeys: readonly string[],
  metric: Column | null,
): { axes: ParallelAxis[]; points: ParallelPoint[] } {
  const columns: Column[] = paramKeys.map((k) => resolveColumn(`param:${k}`)).filter((c): c is Column => c !== null);
  if (metric) columns.push(metric);
  const axes: ParallelAxis[] = [];
  const points: ParallelPoint[] = [];
  columns.forEach((column, axisIndex) => {
    const read = cellAccessor(table, column);
    const values = rows.map(read);
    const present = values.filter((v): v is string | number => v !== null);
    if (present.length === 0) return;
    const numeric = present.every((v) => typeof v === 'number');
    const label =
      column.kind === 'metric'
        ? `${column.key} (${column.aggregate})`
        : column.kind === 'param'
          ? column.key
          : column.id;
    if (numeric) {
      const nums = present as number[];
      const min = Math.min(...nums);
      const max = Math.max(...nums);
      axes.push({ id: column.id, label, kind: 'numeric', min, max, categories: [] });
      values.forEach((v, i) => {
        if (typeof v !== 'number') return;
        const row = rows[i] as CompareRow;
        points.push({
          runId: row.id,
          name: row.name,
          axis: column.id,
          axisIndex,
          position: max === min ? 0.5 : (v - min) / (max - min),
          value: String(v),
        });
      });
    } else {
      const categories = [...new Set(present.map(String))].sort(compareCells);
      axes.push({ id: column.id, label, kind: 'categorical', min: 0, max: categories.length - 1, categories });
      values.forEach((v, i) => {
        if (v === null) return;
        const row = rows[i] as CompareRow;
        const at = categories.indexOf(String(v));
        points.push({
          runId: row.id,
          name: row.name,
          axis: column.id,
          axisIndex,
          position: categories.length === 1 ? 0.5 : at / (categories.length - 1),
          value: String(v),
        });
      });
    }
  });
  return { axes, points };
}

export interface ScatterPoint {
  runId: string;
  name: string;
  x: number | string;
  y: number;
}

/** One point per run that has both the param and the metric. */
export function scatterPoints(
  table: CompareTable,
  rows: readonly CompareRow[],
  paramKey: string,
  metric: Column,
): ScatterPoint[] {
  const param = resolveColumn(`param:${paramKey}`);
  if (!param) return [];
  const readX = cellAccessor(table, param);
  const readY = cellAccessor(table, metric);
  const out: ScatterPoint[] = [];
  for (const row of rows) {
    const x: ParamCell = readX(row);
    const y = readY(row);
    if (x === null || typeof y !== 'number') continue;
    out.push({ runId: row.id, name: row.name, x, y });
  }
  return out;
}
