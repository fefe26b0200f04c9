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

/** Empties every table ingest fills from the run folders, in one transaction (see `reindex`). */
export function clearRunTables(store: IndexStore): void {
  store.transaction(() => {
    store.db.exec(`
      DELETE FROM metrics;
      DELETE FROM metric_tiers;
      DELETE FROM metric_summaries;
      DELETE FROM params;
      DELETE FROM tags;
      DELETE FROM artifacts;
      DELETE FROM ingest_offsets;
      DELETE FROM runs;
      DELETE FROM experiments;
      DELETE FROM metric_keys;
    `);
  }, 'immediate');
}

/**
 * Empties the tables the journals fill. The audit table refuses DELETE (it is append-only), so its
 * guard trigger is dropped and recreated around the reset, inside the same transaction.
 */
export function clearJournalTables(store: IndexStore): void {
  store.transaction(() => {
    store.db.exec(`
      DELETE FROM model_versions;
      DELETE FROM model_aliases;
      DELETE FROM model_pushes;
      DELETE FROM journal_offsets;
      DROP TRIGGER IF EXISTS audit_append_only_delete;
      DELETE FROM audit;
      CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    `);
  }, 'immediate');
}
