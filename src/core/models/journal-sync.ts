import type { ZodType } from 'zod';
import type { IndexStore } from '../store/database';
import { clearJournalTables } from '../store/maintenance';
import { applyJournalRecords, insertAuditEntry, insertModelEvent, journalOffset } from '../store/models';
import {
  AUDIT_JOURNAL,
  AuditEntrySchema,
  MODELS_JOURNAL,
  ModelEventSchema,
  journalPath,
  readJournalFrom,
} from './journal';

/**
 * Applies the journals to the index, exactly once: like run ingest, the new lines and the offset they
 * end at commit in one transaction, compared-and-set against the stored offset, so two windows (or a
 * window and the CLI) syncing at once never apply a line twice.
 */

export interface JournalSyncResult {
  applied: number;
  malformed: number;
}

function syncJournal<T>(
  store: IndexStore,
  workspaceRoot: string,
  file: typeof MODELS_JOURNAL | typeof AUDIT_JOURNAL,
  schema: ZodType<T>,
  apply: (record: T) => void,
): JournalSyncResult {
  const from = journalOffset(store, file);
  const chunk = readJournalFrom(journalPath(workspaceRoot, file), from, schema);
  if (chunk.nextOffset < 0) {
    // The file was replaced by a shorter one: what the index holds no longer matches it.
    clearJournalTables(store);
    return syncJournal(store, workspaceRoot, file, schema, apply);
  }
  if (chunk.nextOffset === from) return { applied: 0, malformed: 0 };
  const applied = applyJournalRecords(store, file, from, chunk.nextOffset, () => {
    for (const record of chunk.records) apply(record);
  });
  return applied ? { applied: chunk.records.length, malformed: chunk.malformed } : { applied: 0, malformed: 0 };
}

/** Brings the model and audit tables up to date with the journals. */
export function syncJournals(store: IndexStore, workspaceRoot: string): JournalSyncResult {
  const models = syncJournal(store, workspaceRoot, MODELS_JOURNAL, ModelEventSchema, (e) => insertModelEvent(store, e));
  const audit = syncJournal(store, workspaceRoot, AUDIT_JOURNAL, AuditEntrySchema, (e) => insertAuditEntry(store, e));
  return { applied: models.applied + audit.applied, malformed: models.malformed + audit.malformed };
}

/** For `trackside reindex`: the model and audit tables rebuilt from `.trackside/*.jsonl`. */
export function rebuildFromJournals(store: IndexStore, workspaceRoot: string): JournalSyncResult {
  clearJournalTables(store);
  return syncJournals(store, workspaceRoot);
}
