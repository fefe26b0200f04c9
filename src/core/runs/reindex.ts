import type { IndexStore } from '../store/database';
import { indexCounts, type IndexCounts } from '../store/queries-counts';
import { rebuildFromJournals } from '../models/journal-sync';
import { ingestAll, type IngestAllResult } from './ingest';

/**
 * Rebuilds the index from the run folders. The tables are cleared in one transaction rather than the
 * file being swapped: renaming a new file over index.db while an editor window holds it open (with its
 * -wal and -shm beside it) would corrupt that window's view. Another ingester running meanwhile finds
 * its offsets gone, so its compare-and-set fails and nothing is counted twice.
 */
export async function reindex(
  store: IndexStore,
  workspaceRoot: string,
): Promise<{ counts: IndexCounts; ingest: IngestAllResult }> {
  store.transaction(() => {
    store.db.exec(`
        DELETE FROM metrics;
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
  const ingest = await ingestAll(store, workspaceRoot);
  // Model versions, aliases and the audit log live in .trackside/*.jsonl, not in run folders.
  rebuildFromJournals(store, workspaceRoot);
  return { counts: indexCounts(store), ingest };
}
