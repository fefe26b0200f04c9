import { bestValue } from '../../src/core/compare/best-values';
import { metricDirection, type MetricDirection } from '../../src/core/metrics/direction';
import { allColumnIds, resolveColumn, sortRows, type Column } from '../../src/core/compare/columns';
import {
  FilterSyntaxError,
  compileFilter,
  parseFilter,
  textMatcher,
  unknownNames,
} from '../../src/core/compare/filter-expression';
import { differingParamKeys } from '../../src/core/compare/table';
import type { CompareRow, CompareTable } from '../../src/protocol/compare';
import type { CompareViewState } from '../../src/protocol/compare';

/** What the table shows for the current runs and view state: the rows in order, the columns, the best values. */
export interface TableView {
  rows: CompareRow[];
  columns: Column[];
  best: Map<string, number>;
  directions: Record<string, MetricDirection>;
  /** Why the expression is not applied, or which names it does not know. */
  expressionProblem: string | null;
  hiddenCount: number;
}

export function metricDirections(
  table: CompareTable,
  chosen: Record<string, MetricDirection>,
): Record<string, MetricDirection> {
  return Object.fromEntries(table.metricKeys.map((k) => [k, chosen[k] ?? metricDirection(k)]));
}

export function shownColumns(table: CompareTable, state: CompareViewState): Column[] {
  const specs = state.columns ?? allColumnIds(table).map((id) => ({ id, aggregate: undefined }));
  const known = new Set(allColumnIds(table));
  return specs
    .filter((s) => known.has(s.id))
    .map((s) => resolveColumn(s.id, s.aggregate ?? 'last'))
    .filter((c): c is Column => c !== null);
}

export function computeTableView(table: CompareTable, state: CompareViewState): TableView {
  const hidden = new Set(state.hidden);
  let rows = table.rows.filter((r) => !hidden.has(r.id));
  const hiddenCount = table.rows.length - rows.length;
  if (state.textFilter.trim()) rows = rows.filter(textMatcher(state.textFilter));
  let expressionProblem: string | null = null;
  if (state.expression.trim()) {
    try {
      const expression = parseFilter(state.expression);
      rows = rows.filter(compileFilter(table, expression));
      const unknown = unknownNames(table, expression);
      if (unknown.length > 0) expressionProblem = `No column named ${unknown.map((n) => `"${n}"`).join(', ')}.`;
    } catch (error) {
      if (!(error instanceof FilterSyntaxError)) throw error;
      expressionProblem = `Not applied: ${error.message}.`;
    }
  }
  let columns = shownColumns(table, state);
  if (state.sort) {
    const sortColumn = columns.find((c) => c.id === state.sort?.column) ?? resolveColumn(state.sort.column);
    if (sortColumn) rows = sortRows(table, rows, sortColumn, state.sort.direction);
  }
  if (state.pinned.length > 0) {
    const pinned = new Set(state.pinned);
    rows = [...rows.filter((r) => pinned.has(r.id)), ...rows.filter((r) => !pinned.has(r.id))];
  }
  if (state.diffOnly) {
    const differing = new Set(differingParamKeys(table, rows));
    columns = columns.filter((c) => c.kind !== 'param' || differing.has(c.key));
  }
  const directions = metricDirections(table, state.directions);
  const best = new Map<string, number>();
  if (rows.length > 1) {
    for (const column of columns) {
      if (column.kind !== 'metric') continue;
      const value = bestValue(table, rows, column, directions[column.key] ?? 'min');
      if (value !== null) best.set(column.id, value);
    }
  }
  return { rows, columns, best, directions, expressionProblem, hiddenCount };
}
