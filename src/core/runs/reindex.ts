import type { IndexStore } from '../store/database';
import { clearRunTables, indexCounts, type IndexCounts } from '../store/maintenance';
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
  clearRunTables(store);
  const ingest = await ingestAll(store, workspaceRoot);
  // Model versions, aliases and the audit log live in .trackside/*.jsonl, not in run folders.
  rebuildFromJournals(store, workspaceRoot);
  return { counts: indexCounts(store), ingest };
}
