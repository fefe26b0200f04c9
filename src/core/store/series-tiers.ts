import type { PreparedQuery } from './sqlite';

/**
 * Pre-aggregated tiers of each long metric series, kept by ingest in `metric_tiers`, so a chart of a
 * run of any length reads a few thousand rows instead of every point (see tiered-line.ts).
 *
 * Tier t cuts a series into buckets of `tierSize(t)` = 32 × 4^t consecutive points by seq (its
 * position in the series), and stores per bucket the count of finite points, their x range on the
 * step and time axes, the first, last, lowest and highest value and where the extremes are. Buckets
 * are cut by seq, not by step: every bucket then holds the same number of points whatever steps a
 * run logs (every step, every 1,000th, repeated ones), so a tier's size is known from the series'
 * length alone, and ingest knows a new point's bucket without reading anything (its seq is the
 * series' count). Each tier is 4× coarser than the one below, so whatever range a chart shows, the
 * coarsest tier that still gives it one bucket per output point has fewer than 4× that many rows.
 * The finest tier is 32 points: finer would cost index size (a bucket row is about two and a half
 * points' worth), coarser would leave more raw points to scan when a zoom is too narrow for any tier.
 *
 * A tier is kept only once the series spans {@link MIN_TIER_BUCKETS} of its buckets: below that a
 * finer tier (or the raw points) already serves every chart, and short series (most of them) cost
 * nothing. When a series crosses that length the tier is built from the tier below it.
 *
 * Non-finite values (NaN is stored as NULL, ±Infinity as itself) are left out of every bucket, as
 * charts leave them out; a bucket with no finite point has no row.
 */

export const TIER_BASE = 32;
export const TIER_FACTOR = 4;
/** 32 … 8,388,608 points per bucket: a chart reads at most a few thousand rows up to 33 billion points. */
export const TIER_COUNT = 10;
export const MIN_TIER_BUCKETS = 64;

export function tierSize(tier: number): number {
  return TIER_BASE * TIER_FACTOR ** tier;
}

/** How many tiers (from the finest) a series of `count` points keeps. */
export function keptTiers(count: number): number {
  let tiers = 0;
  while (tiers < TIER_COUNT && count >= tierSize(tiers) * MIN_TIER_BUCKETS) tiers++;
  return tiers;
}

/** One bucket of one tier. x is the logged step (the seq when none); t the point's time in seconds. */
export interface TierBucket {
  bucket: number;
  /** Finite points in the bucket. */
  n: number;
  xMin: number;
  xMax: number;
  tMin: number;
  tMax: number;
  first: number;
  last: number;
  lo: number;
  hi: number;
  /** Seq of the (first) lowest and highest point: the order a line passes them. */
  loSeq: number;
  hiSeq: number;
}

/** The columns of a bucket row in `metric_tiers`, in the order {@link bucketFromRow} reads them. */
export const TIER_COLUMNS = 'bucket, n, x_min, x_max, t_min, t_max, first, last, lo, hi, lo_seq, hi_seq';

export type TierRow = [number, number, number, number, number, number, number, number, number, number, number, number];

export function bucketFromRow(r: TierRow): TierBucket {
  return {
    bucket: r[0],
    n: r[1],
    xMin: r[2],
    xMax: r[3],
    tMin: r[4],
    tMax: r[5],
    first: r[6],
    last: r[7],
    lo: r[8],
    hi: r[9],
    loSeq: r[10],
    hiSeq: r[11],
  };
}

/** Folds points, in seq order, into buckets of `size` points; emits each bucket with a finite point. */
class BucketBuilder {
  private current: TierBucket | null = null;
  readonly done: TierBucket[] = [];

  constructor(private readonly size: number) {}

  add(seq: number, x: number, t: number, value: number | null): void {
    if (value === null || !Number.isFinite(value)) return;
    const bucket = Math.floor(seq / this.size);
    let b = this.current;
    if (b !== null && b.bucket !== bucket) {
      this.done.push(b);
      b = null;
    }
    if (b === null) {
      this.current = {
        bucket,
        n: 1,
        xMin: x,
        xMax: x,
        tMin: t,
        tMax: t,
        first: value,
        last: value,
        lo: value,
        hi: value,
        loSeq: seq,
        hiSeq: seq,
      };
      return;
    }
    b.n++;
    if (x < b.xMin) b.xMin = x;
    if (x > b.xMax) b.xMax = x;
    if (t < b.tMin) b.tMin = t;
    if (t > b.tMax) b.tMax = t;
    b.last = value;
    if (value < b.lo) {
      b.lo = value;
      b.loSeq = seq;
    }
    if (value > b.hi) {
      b.hi = value;
      b.hiSeq = seq;
    }
  }

  finish(): TierBucket[] {
    if (this.current) this.done.push(this.current);
    this.current = null;
    return this.done;
  }
}

/** Buckets of the next coarser tier from consecutive buckets of one tier (in bucket order). */
export function mergeBuckets(children: readonly TierBucket[]): TierBucket[] {
  const parents: TierBucket[] = [];
  let p: TierBucket | null = null;
  for (const c of children) {
    const bucket = Math.floor(c.bucket / TIER_FACTOR);
    if (p === null || p.bucket !== bucket) {
      p = { ...c, bucket };
      parents.push(p);
      continue;
    }
    p.n += c.n;
    if (c.xMin < p.xMin) p.xMin = c.xMin;
    if (c.xMax > p.xMax) p.xMax = c.xMax;
    if (c.tMin < p.tMin) p.tMin = c.tMin;
    if (c.tMax > p.tMax) p.tMax = c.tMax;
    p.last = c.last;
    if (c.lo < p.lo) {
      p.lo = c.lo;
      p.loSeq = c.loSeq;
    }
    if (c.hi > p.hi) {
      p.hi = c.hi;
      p.hiSeq = c.hiSeq;
    }
  }
  return parents;
}

/** Statements by SQL: the index's cached ones during ingest, a migration's own while it runs. */
export type Prepare = (sql: string) => PreparedQuery;

const RAW_POINTS = `SELECT seq, COALESCE(step, seq), ts, value FROM metrics
  WHERE run_pk = ? AND key_id = ? AND seq >= ? AND seq < ? ORDER BY seq`;
const TIER_ROWS = `SELECT ${TIER_COLUMNS} FROM metric_tiers
  WHERE run_pk = ? AND key_id = ? AND tier = ? AND bucket BETWEEN ? AND ? ORDER BY bucket`;
const UPSERT_COLUMNS = `run_pk, key_id, tier, ${TIER_COLUMNS}`;
/** Bucket rows written by one multi-row statement: fewer native calls when a chunk is long. */
const UPSERT_BATCH = 64;
const upsertSql = (rows: number) =>
  `INSERT OR REPLACE INTO metric_tiers(${UPSERT_COLUMNS}) VALUES ${Array.from(
    { length: rows },
    () => '(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)',
  ).join(',')}`;
/** Raw points read per statement when a tier is built from a long stretch of the series. */
const RAW_PAGE = 65_536;

function writeBuckets(prepare: Prepare, runPk: number, keyId: number, tier: number, buckets: readonly TierBucket[]) {
  const values: number[] = [];
  const flush = (rows: number) => {
    prepare(upsertSql(rows)).run(...values);
    values.length = 0;
  };
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i] as TierBucket;
    values.push(runPk, keyId, tier, b.bucket, b.n, b.xMin, b.xMax, b.tMin, b.tMax, b.first, b.last, b.lo, b.hi);
    values.push(b.loSeq, b.hiSeq);
    if ((i + 1) % UPSERT_BATCH === 0) flush(UPSERT_BATCH);
  }
  if (values.length > 0) flush(values.length / 15);
}

function readRawInto(prepare: Prepare, builder: BucketBuilder, runPk: number, keyId: number, from: number, to: number) {
  const query = prepare(RAW_POINTS).raw<[number, number, number, number | null]>();
  for (let start = from; start < to; start += RAW_PAGE) {
    for (const [seq, x, t, value] of query.all(runPk, keyId, start, Math.min(to, start + RAW_PAGE))) {
      builder.add(seq, x, t, value);
    }
  }
}

/**
 * Brings the tiers of one series up to date after ingest inserted `points` (seq, step, ts, value —
 * NaN as null — four numbers each, seq from `countBefore` on), in the caller's transaction, so a
 * chunk's points and its tier rows commit together. Only the buckets the new points fall in are
 * rewritten: the last, partial bucket of each tier is recomputed with the points before it (at most
 * 31 raw points, or 4 child rows), the rest are new.
 */
export function updateSeriesTiers(
  prepare: Prepare,
  runPk: number,
  keyId: number,
  countBefore: number,
  points: readonly (number | null)[],
): void {
  const countAfter = countBefore + points.length / 4;
  const tiersAfter = keptTiers(countAfter);
  if (tiersAfter === 0) return;
  const tiersBefore = keptTiers(countBefore);
  // The finest tier from the raw points: those of its partial bucket read back, the chunk's in hand.
  const builder = new BucketBuilder(TIER_BASE);
  const firstBucket = tiersBefore > 0 ? Math.floor(countBefore / TIER_BASE) : 0;
  readRawInto(prepare, builder, runPk, keyId, firstBucket * TIER_BASE, countBefore);
  for (let i = 0; i < points.length; i += 4) {
    const seq = points[i] as number;
    builder.add(seq, points[i + 1] ?? seq, points[i + 2] as number, points[i + 3] ?? null);
  }
  let written = builder.finish();
  writeBuckets(prepare, runPk, keyId, 0, written);
  // Each coarser tier from the buckets below it: those just written, after the earlier ones read back.
  const rows = prepare(TIER_ROWS).raw<TierRow>();
  for (let tier = 1; tier < tiersAfter; tier++) {
    const from = (tier < tiersBefore ? Math.floor(countBefore / tierSize(tier)) : 0) * TIER_FACTOR;
    const firstWritten = written[0]?.bucket ?? Math.floor((countAfter - 1) / tierSize(tier - 1)) + 1;
    const earlier =
      from < firstWritten ? rows.all(runPk, keyId, tier - 1, from, firstWritten - 1).map(bucketFromRow) : [];
    written = mergeBuckets([...earlier, ...written]);
    writeBuckets(prepare, runPk, keyId, tier, written);
  }
}

/** Builds the tiers of one series from its raw points (an index that predates tiers). */
export function rebuildSeriesTiers(prepare: Prepare, runPk: number, keyId: number, count: number): void {
  prepare('DELETE FROM metric_tiers WHERE run_pk = ? AND key_id = ?').run(runPk, keyId);
  const tiers = keptTiers(count);
  if (tiers === 0) return;
  const builder = new BucketBuilder(TIER_BASE);
  readRawInto(prepare, builder, runPk, keyId, 0, count);
  let buckets = builder.finish();
  writeBuckets(prepare, runPk, keyId, 0, buckets);
  for (let tier = 1; tier < tiers; tier++) {
    buckets = mergeBuckets(buckets);
    writeBuckets(prepare, runPk, keyId, tier, buckets);
  }
}
