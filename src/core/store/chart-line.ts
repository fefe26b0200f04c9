import type { IndexStore } from './database';
import type { ShapedSeries, XAxis } from './metric-series';
import { minMax } from '../metrics/downsample';
import { TIER_BASE, TIER_FACTOR, keptTiers, tierSize } from './series-tiers';

/**
 * An unsmoothed chart line, read for the chart's width and zoom at a cost that does not grow with
 * the run's length. The range shown is mapped onto the series' tiers (series-tiers.ts) from the
 * coarsest down, and the line is read from the coarsest level (a tier, or the raw points) that has
 * at least a quarter as many rows in the range as the chart has points: under `maxPoints` tier rows
 * (the next coarser tier had under a quarter of that, and a tier is 4× finer), or under 8 ×
 * `maxPoints` raw points (the finest tier had under a quarter, at 32 points a bucket). A bucket then
 * spans at most about 4 pixels of a chart as wide as its points. The host thins the rows by min-max
 * picks; every bucket's lowest and highest value survives, so a spike is never averaged away.
 */

interface Ids {
  runPk: number;
  keyId: number;
}

interface Axis {
  /** x of a metrics row as SQL. */
  sql: string;
  /** The columns of a tier row holding the bucket's x range on this axis. */
  tierMin: 'x_min' | 't_min';
  tierMax: 'x_max' | 't_max';
  toChart: (x: number) => number;
  toSql: (x: number) => number;
}

function seriesIds(store: IndexStore, runId: string, key: string): Ids | null {
  return (
    (store
      .query('SELECT r.pk AS runPk, k.id AS keyId FROM runs r, metric_keys k WHERE r.id = ? AND k.key = ?')
      .get(runId, key) as Ids | undefined) ?? null
  );
}

/** x as SQL over a metrics row or a tier row, and the map from SQL's x to the chart's. */
function axisColumns(axis: XAxis, origin: number): Axis {
  if (axis === 'step') {
    return { sql: 'COALESCE(step, seq)', tierMin: 'x_min', tierMax: 'x_max', toChart: (x) => x, toSql: (x) => x };
  }
  const time = { sql: 'ts', tierMin: 't_min', tierMax: 't_max' } as const;
  if (axis === 'wall') return { ...time, toChart: (x) => x * 1000, toSql: (x) => x / 1000 };
  return { ...time, toChart: (x) => x - origin, toSql: (x) => x + origin };
}

export interface BucketedLine extends ShapedSeries {
  /** The seq of the newest point the answer covers: live appends continue after it. */
  lastSeq: number;
}

/** Where to read a line from: a tier's buckets, or the raw points of a seq range. */
type ReadPlan = { tier: number; first: number; last: number } | { tier: null; first: number; last: number };

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
  const limit = Math.max(4, Math.floor(maxPoints));
  // One read transaction: the series' length, its tiers and its points come from the same snapshot.
  return store.transaction((): BucketedLine => {
    const count =
      (store
        .query('SELECT count FROM metric_summaries WHERE run_pk = ? AND key_id = ?')
        .pluck()
        .get(ids.runPk, ids.keyId) as number | undefined) ?? 0;
    const lastSeq = count - 1;
    const range = domain ? sqlRange(domain, x) : null;
    const plan = count === 0 ? null : planRead(store, ids, x, count, range, Math.ceil(limit / 4));
    if (plan === null) return { x: [], y: [], total: 0, downsampled: false, lastSeq };
    if (plan.tier === null) return { ...rawLine(store, ids, x, range, plan.first, plan.last, limit), lastSeq };
    const rows = store
      .query(
        `SELECT bucket, n, ${x.tierMin}, ${x.tierMax}, first, last, lo, hi, lo_seq, hi_seq FROM metric_tiers
         WHERE run_pk = ? AND key_id = ? AND tier = ? AND bucket BETWEEN ? AND ? ORDER BY bucket`,
      )
      .raw<TierLineRow>()
      .all(ids.runPk, ids.keyId, plan.tier, plan.first, plan.last);
    return { ...pickFromTiers(rows, limit, x, tierSize(plan.tier), count), lastSeq };
  });
}

function sqlRange(domain: readonly [number, number], x: Axis): [number, number] {
  const [a, b] = domain[0] <= domain[1] ? domain : [domain[1], domain[0]];
  return [x.toSql(a), x.toSql(b)];
}

/**
 * Descends the tiers from the coarsest: at each, the buckets overlapping the range (plus one beyond
 * each end, so the line reaches the chart's edges); the first tier with at least `minRows` of them is
 * read. Below the finest, the raw points of the buckets found. Null when the range has no point.
 */
function planRead(
  store: IndexStore,
  ids: Ids,
  x: Axis,
  count: number,
  range: [number, number] | null,
  minRows: number,
): ReadPlan | null {
  const tiers = keptTiers(count);
  if (tiers === 0) return { tier: null, first: 0, last: count - 1 };
  let first = 0;
  let last = Math.floor((count - 1) / tierSize(tiers - 1));
  for (let tier = tiers - 1; tier >= 0; tier--) {
    if (range) {
      const found = overlapping(store, ids, x, tier, first, last, range);
      if (!found) return null;
      [first, last] = found;
    }
    if (last - first + 1 >= minRows) return { tier, first, last };
    if (tier > 0) {
      first *= TIER_FACTOR;
      last = Math.min(last * TIER_FACTOR + TIER_FACTOR - 1, Math.floor((count - 1) / tierSize(tier - 1)));
    }
  }
  return { tier: null, first: first * TIER_BASE, last: Math.min(count - 1, (last + 1) * TIER_BASE - 1) };
}

/** The buckets of `tier` in [first, last] whose x range meets `range`, widened by one on each side. */
function overlapping(
  store: IndexStore,
  ids: Ids,
  x: Axis,
  tier: number,
  first: number,
  last: number,
  [lo, hi]: [number, number],
): [number, number] | null {
  const where = 'run_pk = @runPk AND key_id = @keyId AND tier = @tier AND bucket BETWEEN @first AND @last';
  const params = { ...ids, tier, first, last, lo, hi };
  const inside = store
    .query(
      `SELECT MIN(bucket), MAX(bucket) FROM metric_tiers
       WHERE ${where} AND ${x.tierMax} >= @lo AND ${x.tierMin} <= @hi`,
    )
    .raw<[number | null, number | null]>()
    .get(params) as [number | null, number | null];
  if (inside[0] !== null && inside[1] !== null) {
    return [Math.max(first, inside[0] - 1), Math.min(last, inside[1] + 1)];
  }
  // The range falls between two buckets (or past an end): the line crosses it from one to the next.
  const [before, after] = store
    .query(
      `SELECT (SELECT MAX(bucket) FROM metric_tiers WHERE ${where} AND ${x.tierMax} < @lo),
              (SELECT MIN(bucket) FROM metric_tiers WHERE ${where} AND ${x.tierMin} > @hi)`,
    )
    .raw<[number | null, number | null]>()
    .get(params) as [number | null, number | null];
  if (before === null && after === null) return null;
  return [before ?? (after as number), after ?? (before as number)];
}

/** bucket, n, x range on the chart's axis (SQL units), first, last, lo, hi, lo_seq, hi_seq. */
type TierLineRow = [number, number, number, number, number, number, number, number, number, number];

/**
 * Min-max picks over tier rows. When the chart has room for four points a bucket, each bucket draws
 * its first value, its extremes in the order the series reached them (placed by their seq within
 * the bucket) and its last value, which is how the raw points would rasterize. Otherwise the rows
 * are split into groups in order, each drawing its lowest and highest value (in order) at its first
 * and last x, between the line's first and last value. At most `limit` points.
 */
function pickFromTiers(rows: readonly TierLineRow[], limit: number, x: Axis, size: number, count: number) {
  const xs: number[] = [];
  const ys: number[] = [];
  const push = (sqlX: number, y: number) => {
    xs.push(x.toChart(sqlX));
    ys.push(y);
  };
  let total = 0;
  for (const row of rows) total += row[1];
  if (rows.length * 4 <= limit) {
    for (const [bucket, n, x0, x1, first, last, lo, hi, loSeq, hiSeq] of rows) {
      push(x0, first);
      if (n > 2) {
        const s0 = bucket * size;
        const span = Math.max(1, Math.min(s0 + size, count) - 1 - s0);
        const at = (seq: number) => x0 + ((x1 - x0) * (seq - s0)) / span;
        const loFirst = loSeq <= hiSeq;
        push(at(loFirst ? loSeq : hiSeq), loFirst ? lo : hi);
        push(at(loFirst ? hiSeq : loSeq), loFirst ? hi : lo);
      }
      if (n > 1) push(x1, last);
    }
    return { x: xs, y: ys, total, downsampled: true };
  }
  const head = rows[0] as TierLineRow;
  const tail = rows[rows.length - 1] as TierLineRow;
  push(head[2], head[4]);
  const groups = Math.min(rows.length, Math.max(1, Math.floor((limit - 2) / 2)));
  for (let g = 0; g < groups; g++) {
    const start = Math.floor((g * rows.length) / groups);
    const end = Math.floor(((g + 1) * rows.length) / groups);
    let lo = rows[start] as TierLineRow;
    let hi = lo;
    for (let i = start + 1; i < end; i++) {
      const r = rows[i] as TierLineRow;
      if (r[6] < lo[6]) lo = r;
      if (r[7] > hi[7]) hi = r;
    }
    const loFirst = lo[8] <= hi[9];
    push((rows[start] as TierLineRow)[2], loFirst ? lo[6] : hi[7]);
    push((rows[end - 1] as TierLineRow)[3], loFirst ? hi[7] : lo[6]);
  }
  push(tail[3], tail[5]);
  return { x: xs, y: ys, total, downsampled: true };
}

/**
 * The finite raw points of seq [from, to] in the range, with the nearest one outside each end; read
 * whole (two columns a point cost less than SQLite's own grouping over them) and thinned by min-max
 * picks when there are more than the chart has room for.
 */
function rawLine(
  store: IndexStore,
  ids: Ids,
  x: Axis,
  range: [number, number] | null,
  from: number,
  to: number,
  limit: number,
) {
  const rows = store
    .query(`SELECT ${x.sql}, value FROM metrics WHERE run_pk = ? AND key_id = ? AND seq BETWEEN ? AND ? ORDER BY seq`)
    .raw<[number, number | null]>()
    .all(ids.runPk, ids.keyId, from, to);
  let xs: number[] = [];
  let ys: number[] = [];
  for (const [rawX, value] of rows) {
    if (value === null || !Number.isFinite(value)) continue;
    xs.push(rawX);
    ys.push(value);
  }
  if (range) [xs, ys] = inRange(xs, ys, range);
  const total = xs.length;
  const series = { x: xs.map(x.toChart), y: ys };
  if (total <= limit) return { ...series, total, downsampled: false };
  return { ...minMax(series, limit), total, downsampled: true };
}

/**
 * The points whose x is in [lo, hi], and every point at the x nearest outside each end (so the line
 * reaches the chart's edges), in their logged order.
 */
function inRange(xs: number[], ys: number[], [lo, hi]: [number, number]): [number[], number[]] {
  let before = -Infinity;
  let after = Infinity;
  for (const v of xs) {
    if (v < lo && v > before) before = v;
    if (v > hi && v < after) after = v;
  }
  const from = before === -Infinity ? lo : before;
  const to = after === Infinity ? hi : after;
  const outX: number[] = [];
  const outY: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i] as number;
    if (v >= from && v <= to) {
      outX.push(v);
      outY.push(ys[i] as number);
    }
  }
  return [outX, outY];
}
