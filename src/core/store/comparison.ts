import type { IndexStore } from './database';
import { numberOfParamText } from './param-values';
import type { ParamEntry, RunRow } from './runs';

/** The comparison of several runs: their rows, params and metric summaries in one payload. */

/**
 * Values of many runs by key, flat and row-major: the value of `runs[r]` for `keys[k]` is at
 * `r * keys.length + k`. A table of 10,000 runs is a few arrays rather than an object per cell, and
 * numbers sit unboxed in typed arrays.
 */
export interface ParamColumns {
  keys: string[];
  /** 1 where the run has the param (even one given as null), 0 where it has not. */
  present: Uint8Array;
  /** The value as given (booleans as `true`/`false`); null where the run has no such param. */
  text: (string | null)[];
  /** Its number when it reads as one (booleans as 1 and 0), NaN when it does not. */
  number: Float64Array;
}

/** Metric summaries in the layout of `ParamColumns`. */
export interface SummaryColumns {
  keys: string[];
  /** Points logged; 0 where the run never logged the key. */
  count: Float64Array;
  /** NaN where the value is NaN, or where the series holds no value other than NaN (min and max). */
  last: Float64Array;
  min: Float64Array;
  max: Float64Array;
}

export interface ComparisonPayload {
  /** Oldest first; the rows of `params` and `summaries`. */
  runs: RunRow[];
  /** Union of param and metric keys over the runs, for table columns. */
  paramKeys: string[];
  metricKeys: string[];
  params: ParamColumns;
  summaries: SummaryColumns;
}

/*
 * better-sqlite3 pays about a microsecond for every row it hands to JavaScript, far more than for a
 * value within a row: 10,000 runs × 20 params × 10 metrics read as one row per param and summary
 * (300,000 rows) took half a second. Here each run is one row. Its params travel as one JSON text
 * (strings survive JSON exactly), its summaries as plain columns pivoted by metric key (doubles must
 * not go through SQLite's JSON, which prints 15 significant digits).
 */

const RUN_SELECTION = 'SELECT pk FROM runs WHERE id IN (SELECT value FROM json_each(?))';

/** The metric keys any of the runs has a summary of, by name. */
const METRIC_KEYS = `SELECT k.id, k.key FROM metric_keys k
  WHERE EXISTS (SELECT 1 FROM metric_summaries s WHERE s.key_id = k.id AND s.run_pk IN (${RUN_SELECTION}))
  ORDER BY k.key`;

/** SQLite joins at most 64 tables: one statement pivots at most this many metric keys. */
const KEYS_PER_PIVOT = 48;
const PIVOT_FIELDS = ['count', 'last', 'min', 'max'] as const;
/** Columns of a run row before its pivoted summaries. */
const RUN_FIELDS = 18;

type RunWithParamsRow = [
  pk: number,
  id: string,
  experiment: string,
  name: string,
  status: RunRow['status'],
  createdAt: string,
  startedAt: string | null,
  endedAt: string | null,
  exitCode: number | null,
  message: string | null,
  script: string | null,
  gitCommit: string | null,
  gitBranch: string | null,
  gitDirty: number | null,
  parentRunId: string | null,
  malformedLines: number,
  note: string | null,
  /** A JSON object of the params by key: booleans as JSON booleans, every other value as its text. */
  paramsJson: string,
  /** Then PIVOT_FIELDS for each pivoted metric key. */
  ...summaries: (number | null)[],
];

type RunParams = Record<string, string | boolean | null>;

/** Run rows with their params and the summaries of `keyCount` bound metric key ids, oldest first. */
function runsSql(keyCount: number): string {
  return `SELECT r.pk, r.id, e.name, r.name, r.status, r.created_at, r.started_at, r.ended_at, r.exit_code,
    r.message, r.script, r.git_commit, r.git_branch, r.git_dirty, r.parent_run_id, r.malformed_lines, r.note,
    (SELECT json_group_object(key, CASE WHEN value_num IS NOT NULL AND value_text IN ('true', 'false')
        THEN json(value_text) ELSE value_text END)
      FROM params WHERE run_pk = r.pk)${pivotColumns(keyCount)}
  FROM runs r JOIN experiments e ON e.id = r.experiment_id${pivotJoins(keyCount)}
  WHERE r.pk IN (${RUN_SELECTION}) ORDER BY r.created_at`;
}

/** Run pks with the summaries of `keyCount` more bound metric key ids (past the first statement's). */
function pivotSql(keyCount: number): string {
  return `SELECT r.pk${pivotColumns(keyCount)} FROM runs r${pivotJoins(keyCount)} WHERE r.pk IN (${RUN_SELECTION})`;
}

function pivotColumns(keyCount: number): string {
  let sql = '';
  for (let k = 0; k < keyCount; k++) for (const field of PIVOT_FIELDS) sql += `, s${k}.${field}`;
  return sql;
}

function pivotJoins(keyCount: number): string {
  let sql = '';
  for (let k = 0; k < keyCount; k++) {
    sql += `\n  LEFT JOIN metric_summaries s${k} ON s${k}.run_pk = r.pk AND s${k}.key_id = ?`;
  }
  return sql;
}

/** Everything the compare table needs for a set of runs (ids the index does not know are left out). */
export function getComparison(store: IndexStore, runIds: readonly string[]): ComparisonPayload {
  const ids = JSON.stringify(runIds);
  const metricKeys = store.query(METRIC_KEYS).raw().all(ids) as [number, string][];
  const keyIds = metricKeys.map(([keyId]) => keyId);
  const firstKeys = keyIds.slice(0, KEYS_PER_PIVOT);
  const rows = store
    .query(runsSql(firstKeys.length))
    .raw()
    .all(...firstKeys, ids) as RunWithParamsRow[];
  const runs = new Array<RunRow>(rows.length);
  const runParams = new Array<RunParams>(rows.length);
  const runIndexByPk = new Map<number, number>();
  const paramKeySet = new Set<string>();
  const summaries = emptySummaries(
    metricKeys.map(([, key]) => key),
    rows.length,
  );
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as RunWithParamsRow;
    runs[r] = {
      id: row[1],
      experiment: row[2],
      name: row[3],
      status: row[4],
      createdAt: row[5],
      startedAt: row[6],
      endedAt: row[7],
      exitCode: row[8],
      message: row[9],
      script: row[10],
      gitCommit: row[11],
      gitBranch: row[12],
      gitDirty: row[13] === null ? null : row[13] === 1,
      parentRunId: row[14],
      malformedLines: row[15],
      note: row[16],
    };
    runIndexByPk.set(row[0], r);
    // JSON.parse shares the key strings (and the object's shape) between runs with the same params.
    const parsed = JSON.parse(row[17]) as RunParams;
    runParams[r] = parsed;
    for (const key in parsed) paramKeySet.add(key);
    fillSummaries(summaries, row, RUN_FIELDS, r * keyIds.length, firstKeys.length);
  }
  for (let first = KEYS_PER_PIVOT; first < keyIds.length; first += KEYS_PER_PIVOT) {
    const group = keyIds.slice(first, first + KEYS_PER_PIVOT);
    const pivot = store
      .query(pivotSql(group.length))
      .raw()
      .all(...group, ids) as (number | null)[][];
    for (const row of pivot) {
      const r = runIndexByPk.get(row[0] as number);
      if (r !== undefined) fillSummaries(summaries, row, 1, r * keyIds.length + first, group.length);
    }
  }
  const paramKeys = [...paramKeySet].sort();
  return {
    runs,
    paramKeys,
    metricKeys: summaries.keys,
    params: paramColumns(paramKeys, runParams),
    summaries,
  };
}

function emptySummaries(keys: string[], runCount: number): SummaryColumns {
  const size = runCount * keys.length;
  return {
    keys,
    count: new Float64Array(size),
    last: new Float64Array(size).fill(Number.NaN),
    min: new Float64Array(size).fill(Number.NaN),
    max: new Float64Array(size).fill(Number.NaN),
  };
}

/** Copies `keyCount` pivoted summaries starting at `column` of `row` to the cells from `at` on. */
function fillSummaries(
  columns: SummaryColumns,
  row: readonly unknown[],
  column: number,
  at: number,
  keyCount: number,
): void {
  for (let k = 0; k < keyCount; k++, column += PIVOT_FIELDS.length) {
    const count = row[column] as number | null;
    if (count === null) continue;
    columns.count[at + k] = count;
    columns.last[at + k] = (row[column + 1] as number | null) ?? Number.NaN;
    columns.min[at + k] = (row[column + 2] as number | null) ?? Number.NaN;
    columns.max[at + k] = (row[column + 3] as number | null) ?? Number.NaN;
  }
}

function paramColumns(keys: string[], runParams: readonly RunParams[]): ParamColumns {
  const keyIndex = new Map(keys.map((key, k) => [key, k]));
  const size = runParams.length * keys.length;
  const present = new Uint8Array(size);
  const text = new Array<string | null>(size).fill(null);
  const number = new Float64Array(size).fill(Number.NaN);
  for (let r = 0; r < runParams.length; r++) {
    const params = runParams[r] as RunParams;
    const base = r * keys.length;
    for (const key in params) {
      const at = base + (keyIndex.get(key) as number);
      const value = params[key] as string | boolean | null;
      present[at] = 1;
      if (typeof value === 'boolean') {
        text[at] = String(value);
        number[at] = value ? 1 : 0;
      } else if (value !== null) {
        // The index derived the stored number from this very text, so deriving it again is exact.
        text[at] = value;
        number[at] = numberOfParamText(value) ?? Number.NaN;
      }
    }
  }
  return { keys, present, text, number };
}

/** One run's params from a comparison, as `paramsForRuns` gives them (in key order). */
export function comparedParams(payload: ComparisonPayload, runIndex: number): ParamEntry[] {
  const { keys, present, text, number } = payload.params;
  const runId = payload.runs[runIndex]?.id;
  const entries: ParamEntry[] = [];
  if (runId === undefined) return entries;
  keys.forEach((key, k) => {
    const at = runIndex * keys.length + k;
    if (!present[at]) return;
    const value = number[at] as number;
    entries.push({ runId, key, text: text[at] ?? null, number: Number.isNaN(value) ? null : value });
  });
  return entries;
}
