import type { IndexStore } from '../store/database';

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
