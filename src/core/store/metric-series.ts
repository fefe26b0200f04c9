import { downsample, type DownsampleMethod, type Series } from '../metrics/downsample';
import type { IndexStore } from './database';

/**
 * Reading metric series from the index: whole or from a point on (live charts), and as plain
 * downsampled lines for sparklines. Chart lines of long runs are read from tiers (chart-line.ts).
 */

/** step: the logged step; wall: wall-clock time (ms since the epoch); relative: seconds since the run started. */
export type XAxis = 'step' | 'wall' | 'relative';

export interface ShapedSeries {
  x: number[];
  y: number[];
  /** Finite points of the series in the shown range, before downsampling. */
  total: number;
  downsampled: boolean;
}

/**
 * Reads a metric series with every column the compare charts need (step, wall time and value) in
 * one pass, from a given point on, so a chart can extend what it already holds instead of
 * re-reading a whole run.
 */

export interface SeriesColumns {
  /** The logged step; the point's position in the series when it was logged without one. */
  step: number[];
  /** Wall-clock time of the point, seconds since the epoch. */
  ts: number[];
  /** NaN where the run logged NaN. */
  value: number[];
  /** The seq of the last point read (pass it as `afterSeq` next time); -1 when none. */
  lastSeq: number;
}

export function readSeriesColumns(store: IndexStore, runId: string, key: string, afterSeq = -1): SeriesColumns | null {
  const ids = store
    .query('SELECT r.pk AS runPk, k.id AS keyId FROM runs r, metric_keys k WHERE r.id = ? AND k.key = ?')
    .get(runId, key) as { runPk: number; keyId: number } | undefined;
  if (!ids) return null;
  const rows = store
    .query('SELECT seq, step, ts, value FROM metrics WHERE run_pk = ? AND key_id = ? AND seq > ? ORDER BY seq')
    .raw()
    .all(ids.runPk, ids.keyId, afterSeq) as [number, number | null, number, number | null][];
  const n = rows.length;
  const step = new Array<number>(n);
  const ts = new Array<number>(n);
  const value = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const row = rows[i] as [number, number | null, number, number | null];
    step[i] = row[1] ?? row[0];
    ts[i] = row[2];
    value[i] = row[3] ?? Number.NaN;
  }
  return { step, ts, value, lastSeq: rows[n - 1]?.[0] ?? afterSeq };
}

/** Metric keys logged by any of the runs, for the chart picker. */
export function metricKeysForRuns(store: IndexStore, runIds: readonly string[]): string[] {
  if (runIds.length === 0) return [];
  return store
    .query(
      `SELECT DISTINCT k.key FROM metric_summaries s JOIN metric_keys k ON k.id = s.key_id
       JOIN runs r ON r.pk = s.run_pk WHERE r.id IN (SELECT value FROM json_each(?)) ORDER BY k.key`,
    )
    .pluck()
    .all(JSON.stringify(runIds)) as string[];
}

export interface SeriesQuery {
  runId: string;
  key: string;
  /** x is the logged step (the point's order when it has none) or the wall-clock time. */
  axis?: 'step' | 'time';
  /** Downsample to at most this many points; raw when absent. */
  maxPoints?: number;
  method?: DownsampleMethod;
  /** Only points after this seq (a live chart asking for what is new). */
  afterSeq?: number;
}

export interface MetricSeries extends Series {
  runId: string;
  key: string;
  axis: 'step' | 'time';
  /** Points in the index for this series (before downsampling). */
  total: number;
  /** The seq of the last point read, for `afterSeq` of the next request. */
  lastSeq: number;
  downsampled: boolean;
}

/**
 * One series in logged order. NaN points are kept in a raw series (charts show a gap) and dropped
 * before downsampling, which compares values.
 */
export function getMetricSeries(store: IndexStore, query: SeriesQuery): MetricSeries | null {
  const axis = query.axis ?? 'step';
  const ids = store
    .query(
      `SELECT r.pk AS runPk, k.id AS keyId FROM runs r, metric_keys k
       WHERE r.id = ? AND k.key = ?`,
    )
    .get(query.runId, query.key) as { runPk: number; keyId: number } | undefined;
  if (!ids) return null;
  const rows = store
    .query(`SELECT seq, step, ts, value FROM metrics WHERE run_pk = ? AND key_id = ? AND seq > ? ORDER BY seq`)
    .raw()
    .all(ids.runPk, ids.keyId, query.afterSeq ?? -1) as [number, number | null, number, number | null][];
  const x: number[] = new Array<number>(rows.length);
  const y: number[] = new Array<number>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const [seq, step, ts, value] = rows[i] as [number, number | null, number, number | null];
    x[i] = axis === 'time' ? ts : (step ?? seq);
    y[i] = value ?? Number.NaN;
  }
  const lastSeq = rows.at(-1)?.[0] ?? query.afterSeq ?? -1;
  let series: Series = { x, y };
  let downsampled = false;
  if (query.maxPoints !== undefined && rows.length > query.maxPoints) {
    series = downsample(withoutNaN(series), query.maxPoints, query.method ?? 'lttb');
    downsampled = true;
  }
  return { runId: query.runId, key: query.key, axis, total: rows.length, lastSeq, downsampled, ...series };
}

function withoutNaN(series: Series): Series {
  if (!series.y.some(Number.isNaN)) return series;
  const x: number[] = [];
  const y: number[] = [];
  series.y.forEach((v, i) => {
    if (!Number.isNaN(v)) {
      x.push(series.x[i] as number);
      y.push(v);
    }
  });
  return { x, y };
}
