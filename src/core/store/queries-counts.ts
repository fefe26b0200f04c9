import type { IndexStore } from './database';

export interface IndexCounts {
  experiments: number;
  runs: number;
  params: number;
  metricKeys: number;
  metricPoints: number;
  tags: number;
  artifacts: number;
  malformedLines: number;
}

/** Row counts, for `trackside reindex` and diagnostics. Points are counted from summaries, not scanned. */
export function indexCounts(store: IndexStore): IndexCounts {
  return store
    .query(
      `SELECT
         (SELECT COUNT(*) FROM experiments) AS experiments,
         (SELECT COUNT(*) FROM runs) AS runs,
         (SELECT COUNT(*) FROM params) AS params,
         (SELECT COUNT(*) FROM metric_keys) AS metricKeys,
         (SELECT COALESCE(SUM(count), 0) FROM metric_summaries) AS metricPoints,
         (SELECT COUNT(*) FROM tags) AS tags,
         (SELECT COUNT(*) FROM artifacts) AS artifacts,
         (SELECT COALESCE(SUM(malformed_lines), 0) FROM runs) AS malformedLines`,
    )
    .get() as IndexCounts;
}
