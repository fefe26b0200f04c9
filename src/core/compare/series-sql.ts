import type { IndexStore } from '../store/database';
import type { ShapedSeries, XAxis } from './series';

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
