import type { CompareRow, CompareTable, MetricAggregate, ParamCell } from '../../protocol/compare';
import type { ComparisonPayload } from '../store/comparison';

/**
 * The compare table as plain data: one row per run, params and metric summaries aligned with the
 * key lists, so a row is a few small arrays rather than an object per cell (10,000 runs travel to
 * the webview and are sorted there).
 */

export const METRIC_AGGREGATES: readonly MetricAggregate[] = ['last', 'min', 'max'];

const BOOLEAN_TEXT = new Set(['true', 'false']);

/** A param as the user gave it: numbers compare as numbers, booleans and words stay text. */
export function paramCell(text: string | null, number: number | null): ParamCell {
  if (number !== null && Number.isFinite(number) && !(text !== null && BOOLEAN_TEXT.has(text))) return number;
  return text;
}

function epoch(iso: string | null): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * Builds the table from the index's comparison payload. `now` dates the duration of live runs. The
 * columns are the payload's `paramKeys` and `metricKeys`, which a caller may widen to an existing
 * table's; values are looked up by key in the payload's own columns.
 */
export function buildCompareTable(payload: ComparisonPayload, now: number = Date.now()): CompareTable {
  const { params, summaries } = payload;
  const paramSource = columnSources(payload.paramKeys, params.keys);
  const metricSource = columnSources(payload.metricKeys, summaries.keys);
  const rows = payload.runs.map((run, r): CompareRow => {
    const created = epoch(run.createdAt) ?? 0;
    const started = epoch(run.startedAt) ?? created;
    const ended = epoch(run.endedAt);
    const live = run.status === 'running' || run.status === 'pending';
    const end = ended ?? (live ? now : null);
    const paramBase = r * params.keys.length;
    const paramCells = new Array<ParamCell>(paramSource.length);
    for (let i = 0; i < paramSource.length; i++) {
      const k = paramSource[i] as number;
      if (k < 0) {
        paramCells[i] = null;
        continue;
      }
      const number = params.number[paramBase + k] as number;
      paramCells[i] = paramCell(params.text[paramBase + k] ?? null, Number.isNaN(number) ? null : number);
    }
    const metricBase = r * summaries.keys.length;
    const metricCells = new Array<number | null>(metricSource.length * 3);
    for (let i = 0; i < metricSource.length; i++) {
      const k = metricSource[i] as number;
      const at = metricBase + k;
      // Unlogged cells hold NaN, which shows as empty like NaN itself.
      metricCells[i * 3] = k < 0 ? null : finiteOrNull(summaries.last[at] as number);
      metricCells[i * 3 + 1] = k < 0 ? null : finiteOrNull(summaries.min[at] as number);
      metricCells[i * 3 + 2] = k < 0 ? null : finiteOrNull(summaries.max[at] as number);
    }
    return {
      id: run.id,
      name: run.name,
      experiment: run.experiment,
      status: run.status,
      createdAt: created,
      durationMs: end === null ? null : Math.max(0, end - started),
      commit: run.gitCommit,
      branch: run.gitBranch,
      dirty: run.gitDirty,
      params: paramCells,
      metrics: metricCells,
    };
  });
  return { paramKeys: payload.paramKeys, metricKeys: payload.metricKeys, rows };
}

/** For each wanted column, its position among the payload's own keys (-1 where the payload has none). */
function columnSources(wanted: readonly string[], own: readonly string[]): number[] {
  const position = new Map(own.map((key, k) => [key, k]));
  return wanted.map((key) => position.get(key) ?? -1);
}

/** JSON cannot carry NaN or infinities; a table cell shows them as empty. */
function finiteOrNull(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null;
}

export function metricValue(
  table: CompareTable,
  row: CompareRow,
  key: string,
  aggregate: MetricAggregate,
): number | null {
  const i = table.metricKeys.indexOf(key);
  if (i < 0) return null;
  return row.metrics[i * 3 + METRIC_AGGREGATES.indexOf(aggregate)] ?? null;
}

export function paramValue(table: CompareTable, row: CompareRow, key: string): ParamCell {
  const i = table.paramKeys.indexOf(key);
  return i < 0 ? null : (row.params[i] ?? null);
}

/** Param keys whose value is not the same in every given row (a missing value counts as a value). */
export function differingParamKeys(table: CompareTable, rows: readonly CompareRow[]): string[] {
  return table.paramKeys.filter((_key, i) => {
    if (rows.length < 2) return true;
    const first = rows[0]?.params[i] ?? null;
    return rows.some((r) => (r.params[i] ?? null) !== first);
  });
}
