import type { ComparisonPayload } from '../store/queries-detail';

/**
 * The compare table as plain data: one row per run, params and metric summaries aligned with the
 * key lists, so a row is a few small arrays rather than an object per cell (10,000 runs travel to
 * the webview and are sorted there).
 */

export type ParamCell = string | number | null;

/** Which summary of a metric a column shows. */
export type MetricAggregate = 'last' | 'min' | 'max';
export const METRIC_AGGREGATES: readonly MetricAggregate[] = ['last', 'min', 'max'];

export interface CompareRow {
  id: string;
  name: string;
  experiment: string;
  status: string;
  /** Creation time, epoch milliseconds. */
  createdAt: number;
  /** From start to end, or to `now` while the run is still going; null when it never started. */
  durationMs: number | null;
  commit: string | null;
  branch: string | null;
  dirty: boolean | null;
  /** Aligned with `CompareTable.paramKeys`; null where the run has no such param. */
  params: ParamCell[];
  /** Aligned with `CompareTable.metricKeys`, three per key: last, min, max. */
  metrics: (number | null)[];
}

export interface CompareTable {
  paramKeys: string[];
  metricKeys: string[];
  rows: CompareRow[];
}

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

/** Builds the table from the index's comparison payload. `now` dates the duration of live runs. */
export function buildCompareTable(payload: ComparisonPayload, now: number = Date.now()): CompareTable {
  const paramIndex = new Map(payload.paramKeys.map((k, i) => [k, i]));
  const metricIndex = new Map(payload.metricKeys.map((k, i) => [k, i]));
  const rows = new Map<string, CompareRow>();
  for (const run of payload.runs) {
    const created = epoch(run.createdAt) ?? 0;
    const started = epoch(run.startedAt) ?? created;
    const ended = epoch(run.endedAt);
    const live = run.status === 'running' || run.status === 'pending';
    const end = ended ?? (live ? now : null);
    rows.set(run.id, {
      id: run.id,
      name: run.name,
      experiment: run.experiment,
      status: run.status,
      createdAt: created,
      durationMs: end === null ? null : Math.max(0, end - started),
      commit: run.gitCommit,
      branch: run.gitBranch,
      dirty: run.gitDirty,
      params: new Array<ParamCell>(payload.paramKeys.length).fill(null),
      metrics: new Array<number | null>(payload.metricKeys.length * 3).fill(null),
    });
  }
  for (const p of payload.params) {
    const row = rows.get(p.runId);
    const i = paramIndex.get(p.key);
    if (row && i !== undefined) row.params[i] = paramCell(p.text, p.number);
  }
  for (const s of payload.summaries) {
    const row = rows.get(s.runId);
    const i = metricIndex.get(s.key);
    if (!row || i === undefined) continue;
    row.metrics[i * 3] = finiteOrNull(s.last);
    row.metrics[i * 3 + 1] = finiteOrNull(s.min);
    row.metrics[i * 3 + 2] = finiteOrNull(s.max);
  }
  return { paramKeys: payload.paramKeys, metricKeys: payload.metricKeys, rows: [...rows.values()] };
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
