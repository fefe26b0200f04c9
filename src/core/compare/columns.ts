import { formatDuration, formatNumber } from '../format/numbers';
import { METRIC_AGGREGATES } from './table';
import type { CompareRow, CompareTable, MetricAggregate, ParamCell } from '../../protocol/compare';

/**
 * Table columns: a handful of run fields, then one column per param (`param:<key>`) and per metric
 * (`metric:<key>`, showing its last, min or max). Sorting, filtering, best-value marking and export
 * all read cells through the same accessor, so what is exported is what is shown.
 */

export const RUN_FIELDS = ['name', 'status', 'experiment', 'start', 'duration', 'commit'] as const;
export type RunField = (typeof RUN_FIELDS)[number];

export type Column =
  | { kind: 'field'; id: string; field: RunField }
  | { kind: 'param'; id: string; key: string }
  | { kind: 'metric'; id: string; key: string; aggregate: MetricAggregate };

export type CellValue = string | number | null;

export function paramColumnId(key: string): string {
  return `param:${key}`;
}

export function metricColumnId(key: string): string {
  return `metric:${key}`;
}

/** The column a stored id names, or null when the id is unknown (a column saved for other runs). */
export function resolveColumn(id: string, aggregate: MetricAggregate = 'last'): Column | null {
  if ((RUN_FIELDS as readonly string[]).includes(id)) return { kind: 'field', id, field: id as RunField };
  if (id.startsWith('param:')) return { kind: 'param', id, key: id.slice('param:'.length) };
  if (id.startsWith('metric:')) return { kind: 'metric', id, key: id.slice('metric:'.length), aggregate };
  return null;
}

/**
 * Every column the table can show for these runs, in the default order: what tells runs apart
 * (name, status, metrics, params) before what rarely does (experiment, commit).
 */
export function allColumnIds(table: CompareTable): string[] {
  return [
    'name',
    'status',
    'start',
    'duration',
    ...table.metricKeys.map(metricColumnId),
    ...table.paramKeys.map(paramColumnId),
    'commit',
    'experiment',
  ];
}

const FIELD_LABELS: Record<RunField, string> = {
  name: 'Name',
  status: 'Status',
  experiment: 'Experiment',
  start: 'Start',
  duration: 'Duration',
  commit: 'Commit',
};

export function columnLabel(column: Column): string {
  switch (column.kind) {
    case 'field':
      return FIELD_LABELS[column.field];
    case 'param':
      return column.key;
    case 'metric':
      return `${column.key} (${column.aggregate})`;
  }
}

/** A function reading one column's raw value from a row; lookups are resolved once, not per row. */
export function cellAccessor(table: CompareTable, column: Column): (row: CompareRow) => CellValue {
  switch (column.kind) {
    case 'field':
      return fieldAccessor(column.field);
    case 'param': {
      const i = table.paramKeys.indexOf(column.key);
      return (row) => (i < 0 ? null : (row.params[i] ?? null));
    }
    case 'metric': {
      const i = table.metricKeys.indexOf(column.key);
      const offset = i * 3 + METRIC_AGGREGATES.indexOf(column.aggregate);
      return (row) => (i < 0 ? null : (row.metrics[offset] ?? null));
    }
  }
}

function fieldAccessor(field: RunField): (row: CompareRow) => CellValue {
  switch (field) {
    case 'name':
      return (row) => row.name;
    case 'status':
      return (row) => row.status;
    case 'experiment':
      return (row) => row.experiment;
    case 'start':
      return (row) => row.createdAt;
    case 'duration':
      return (row) => row.durationMs;
    case 'commit':
      return (row) => (row.commit ? row.commit.slice(0, 7) : null);
  }
}

/** Numbers before text, each in natural order; empty cells last whichever the direction. */
export function compareCells(a: CellValue, b: CellValue): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return COLLATOR.compare(a, b);
}

const COLLATOR = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export type SortDirection = 'asc' | 'desc';

/** A sorted copy; stable, so rows with equal cells keep their previous order. */
export function sortRows(
  table: CompareTable,
  rows: readonly CompareRow[],
  column: Column,
  direction: SortDirection,
): CompareRow[] {
  const read = cellAccessor(table, column);
  const keyed = rows.map((row, index) => ({ row, index, value: read(row) }));
  const sign = direction === 'asc' ? 1 : -1;
  keyed.sort((a, b) => {
    if (a.value === null || b.value === null) {
      const byNull = compareCells(a.value, b.value);
      return byNull === 0 ? a.index - b.index : byNull;
    }
    return sign * compareCells(a.value, b.value) || a.index - b.index;
  });
  return keyed.map((k) => k.row);
}

const START_FORMAT = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** Shown text of a cell: durations as h/m/s, times in the user's locale, numbers without float noise. */
export function formatCell(column: Column, value: CellValue): string {
  if (value === null) return '';
  if (column.kind === 'field' && column.field === 'start' && typeof value === 'number') {
    return START_FORMAT.format(value);
  }
  if (column.kind === 'field' && column.field === 'duration' && typeof value === 'number') {
    return formatDuration(value);
  }
  if (typeof value === 'number') return formatNumber(value);
  return value;
}

/** Export keeps full precision and ISO times: a spreadsheet should see the index's values. */
export function exportCell(column: Column, value: CellValue): string {
  if (value === null) return '';
  if (column.kind === 'field' && column.field === 'start' && typeof value === 'number') {
    return new Date(value).toISOString();
  }
  if (column.kind === 'field' && column.field === 'duration' && typeof value === 'number') {
    return (value / 1000).toFixed(3);
  }
  return String(value);
}

export function isParamCell(value: unknown): value is ParamCell {
  return value === null || typeof value === 'string' || typeof value === 'number';
}
