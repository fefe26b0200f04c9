import { downsample, type DownsampleMethod, type Series } from '../metrics/downsample';
import type { IndexStore } from './database';

/**
 * Reading metric series from the index: whole or from a point on (live charts), downsampled in
 * SQLite for charts of long runs, and as plain downsampled lines for sparklines.
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

/**
 * An unsmoothed chart line downsampled inside SQLite: the points are bucketed by their position in
 * the series and each bucket answers its lowest and highest value, so a 100,000-point run costs one
 * scan in C and a few thousand rows handed to JavaScript (reading every point into JavaScript costs
 * about a microsecond per row). A bucket spans about one pixel, so drawing its low at the bucket's
 * first x and its high at its last draws the envelope a per-point min-max downsampler would.
 */

const FINITE = 'value IS NOT NULL AND value BETWEEN -1.7976931348623157e308 AND 1.7976931348623157e308';

interface Ids {
  runPk: number;
  keyId: number;
}

function seriesIds(store: IndexStore, runId: string, key: string): Ids | null {
  return (
    (store
      .query('SELECT r.pk AS runPk, k.id AS keyId FROM runs r, metric_keys k WHERE r.id = ? AND k.key = ?')
      .get(runId, key) as Ids | undefined) ?? null
  );
}

/** x as SQL over a metrics row, and the map from SQL's x to the chart's. */
function axisColumns(
  axis: XAxis,
  origin: number,
): { sql: string; toChart: (x: number) => number; toSql: (x: number) => number } {
  if (axis === 'step') return { sql: 'COALESCE(step, seq)', toChart: (x) => x, toSql: (x) => x };
  if (axis === 'wall') return { sql: 'ts', toChart: (x) => x * 1000, toSql: (x) => x / 1000 };
  return { sql: 'ts', toChart: (x) => x - origin, toSql: (x) => x + origin };
}

export interface BucketedLine extends ShapedSeries {
  /** The seq of the newest point the answer covers: live appends continue after it. */
  lastSeq: number;
}

export function bucketedLine(
  store: IndexStore,
  runId: string,
  key: string,
  axis: XAxis,
  origin: number,
  domain: readonly [number, number] | null | undefined,
  maxPoints: number,
): BucketedLine | null {
  const ids = seriesIds(store, runId, key);
  if (!ids) return null;
  const x = axisColumns(axis, origin);
  // One read transaction: the shape of the series and its buckets come from the same snapshot.
  return store.transaction((): BucketedLine => {
    const lastSeq =
      (store.query('SELECT MAX(seq) FROM metrics WHERE run_pk = ? AND key_id = ?').pluck().get(ids.runPk, ids.keyId) as
        number | null) ?? -1;
    const base = `run_pk = @runPk AND key_id = @keyId AND ${FINITE}`;
    const params: Record<string, number> = { runPk: ids.runPk, keyId: ids.keyId };
    let whereSql = base;
    if (domain) {
      const [a, b] = domain[0] <= domain[1] ? domain : [domain[1], domain[0]];
      // One scan finds the visible range and the nearest point outside each end (so the line
      // reaches the edges of the zoomed chart); a second one reads or buckets the points.
      const bounds = store
        .query(
          `SELECT MAX(CASE WHEN ${x.sql} < @lo THEN ${x.sql} END) AS before,
             MIN(CASE WHEN ${x.sql} > @hi THEN ${x.sql} END) AS after
           FROM metrics WHERE ${base}`,
        )
        .get({ ...params, lo: x.toSql(a), hi: x.toSql(b) }) as { before: number | null; after: number | null };
      params.lo = bounds.before ?? x.toSql(a);
      params.hi = bounds.after ?? x.toSql(b);
      whereSql = `${base} AND ${x.sql} BETWEEN @lo AND @hi`;
    }
    const range = store
      .query(`SELECT MIN(seq) AS first, MAX(seq) AS last, COUNT(*) AS total FROM metrics WHERE ${whereSql}`)
      .get(params) as { first: number | null; last: number | null; total: number };
    const limit = Math.max(4, Math.floor(maxPoints));
    if (range.total <= limit || range.first === null || range.last === null) {
      const rows = store
        .query(`SELECT ${x.sql}, value FROM metrics WHERE ${whereSql} ORDER BY seq`)
        .raw()
        .all(params) as [number, number][];
      return {
        x: rows.map((r) => x.toChart(r[0])),
        y: rows.map((r) => r[1]),
        total: range.total,
        downsampled: false,
        lastSeq,
      };
    }
    const buckets = Math.floor(limit / 2);
    const span = range.last - range.first + 1;
    const rows = store
      .query(
        `SELECT MIN(${x.sql}) AS x0, MAX(${x.sql}) AS x1, MIN(value) AS lo, MAX(value) AS hi,
           MIN(seq) AS s0, MAX(seq) AS s1
         FROM metrics WHERE ${whereSql}
         GROUP BY CAST((seq - @first) * @buckets / @span AS INTEGER) ORDER BY s0`,
      )
      .raw()
      .all({ ...params, first: range.first, buckets, span }) as [number, number, number, number, number, number][];
    const xs: number[] = [];
    const ys: number[] = [];
    for (const [x0, x1, lo, hi, s0, s1] of rows) {
      xs.push(x.toChart(x0));
      ys.push(lo);
      if (s0 !== s1) {
        xs.push(x.toChart(x1));
        ys.push(hi);
      }
    }
    return { x: xs, y: ys, total: range.total, downsampled: true, lastSeq };
  });
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
