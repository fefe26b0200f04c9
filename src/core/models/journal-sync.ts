import type { ZodType } from 'zod';
import type { IndexStore } from '../store/database';
import {
  AUDIT_JOURNAL,
  AuditEntrySchema,
  MODELS_JOURNAL,
  ModelEventSchema,
  journalPath,
  readJournalFrom,
  type AuditEntry,
  type ModelEvent,
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

function storedOffset(store: IndexStore, file: string): number {
  return (
    (store.query('SELECT offset FROM journal_offsets WHERE file = ?').pluck().get(file) as number | undefined) ?? 0
  );
}

function applyModelEvent(store: IndexStore, event: ModelEvent): void {
  switch (event.type) {
    case 'registered':
      store
        .query(
          `INSERT INTO model_versions(name, version, run_id, artifact_path, sha256, size, created_at, actor)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name, version) DO NOTHING`,
        )
        .run(
          event.name,
          event.version,
          event.runId,
          event.artifactPath,
          event.sha256,
          event.size,
          event.at,
          event.actor,
        );
      break;
    case 'alias-set':
      store
        .query(
          `INSERT INTO model_aliases(name, alias, version, moved_at, actor) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(name, alias) DO UPDATE SET version = excluded.version, moved_at = excluded.moved_at,
             actor = excluded.actor`,
        )
        .run(event.name, event.alias, event.version, event.at, event.actor);
      break;
    case 'alias-removed':
      store.query('DELETE FROM model_aliases WHERE name = ? AND alias = ?').run(event.name, event.alias);
      break;
    case 'pushed':
      store
        .query(
          `INSERT INTO model_pushes(name, version, registry, repository, tag, digest, pushed_at, actor)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        )
        .run(
          event.name,
          event.version,
          event.registry,
          event.repository,
          event.tag,
          event.digest,
          event.at,
          event.actor,
        );
      break;
  }
}

function applyAuditEntry(store: IndexStore, entry: AuditEntry): void {
  store
    .query('INSERT INTO audit(at, actor, action, subject, detail_json) VALUES (?, ?, ?, ?, ?)')
    .run(entry.at, entry.actor, entry.action, entry.subject, JSON.stringify(entry.detail));
}

function syncJournal<T>(
  store: IndexStore,
  workspaceRoot: string,
  file: typeof MODELS_JOURNAL | typeof AUDIT_JOURNAL,
  schema: ZodType<T>,
  apply: (record: T) => void,
): JournalSyncResult {
  const from = storedOffset(store, file);
  const chunk = readJournalFrom(journalPath(workspaceRoot, file), from, schema);
  if (chunk.nextOffset < 0) {
    // The file was replaced by a shorter one: what the index holds no longer matches it.
    rebuildJournalTables(store);
    return syncJournal(store, workspaceRoot, file, schema, apply);
  }
  if (chunk.nextOffset === from) return { applied: 0, malformed: 0 };
  const applied = store.transaction(() => {
    if (storedOffset(store, file) !== from) return false;
    for (const record of chunk.records) apply(record);
    store
      .query(
        'INSERT INTO journal_offsets(file, offset) VALUES (?, ?) ON CONFLICT(file) DO UPDATE SET offset = excluded.offset',
      )
      .run(file, chunk.nextOffset);
    return true;
  }, 'immediate');
  return applied ? { applied: chunk.records.length, malformed: chunk.malformed } : { applied: 0, malformed: 0 };
}

/** Brings the model and audit tables up to date with the journals. */
export function syncJournals(store: IndexStore, workspaceRoot: string): JournalSyncResult {
  const models = syncJournal(store, workspaceRoot, MODELS_JOURNAL, ModelEventSchema, (e) => applyModelEvent(store, e));
  const audit = syncJournal(store, workspaceRoot, AUDIT_JOURNAL, AuditEntrySchema, (e) => applyAuditEntry(store, e));
  return { applied: models.applied + audit.applied, malformed: models.malformed + audit.malformed };
}

/**
 * Empties the tables the journals fill. The audit table refuses DELETE (it is append-only), so its
 * guard triggers are dropped and recreated around the reset, inside the same transaction.
 */
export function rebuildJournalTables(store: IndexStore): void {
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

/** For `trackside reindex`: the model and audit tables rebuilt from `.trackside/*.jsonl`. */
export function rebuildFromJournals(store: IndexStore, workspaceRoot: string): JournalSyncResult {
  rebuildJournalTables(store);
  return syncJournals(store, workspaceRoot);
}
