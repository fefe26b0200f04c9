import type { AuditEntry, ModelEvent } from '../models/journal';
import type { IndexStore } from './database';

export interface ModelVersionRow {
  name: string;
  version: number;
  runId: string;
  /** Null when the source run is no longer in the index (its folder was deleted). */
  runName: string | null;
  artifactPath: string;
  sha256: string | null;
  size: number | null;
  createdAt: string;
  actor: string;
  aliases: string[];
}

export interface ModelSummary {
  name: string;
  /** Newest first. */
  versions: ModelVersionRow[];
}

interface VersionSqlRow {
  name: string;
  version: number;
  run_id: string;
  run_name: string | null;
  artifact_path: string;
  sha256: string | null;
  size: number | null;
  created_at: string;
  actor: string;
}

/** Every registered model with its versions and their aliases, models by name. */
export function listModels(store: IndexStore): ModelSummary[] {
  const rows = store
    .query(
      `SELECT v.name, v.version, v.run_id, r.name AS run_name, v.artifact_path, v.sha256, v.size, v.created_at, v.actor
       FROM model_versions v LEFT JOIN runs r ON r.id = v.run_id
       ORDER BY v.name, v.version DESC`,
    )
    .all() as VersionSqlRow[];
  const aliases = store.query('SELECT name, alias, version FROM model_aliases ORDER BY alias').all() as {
    name: string;
    alias: string;
    version: number;
  }[];
  const aliasesOf = new Map<string, string[]>();
  for (const a of aliases) {
    const key = `${a.name}@${a.version}`;
    aliasesOf.set(key, [...(aliasesOf.get(key) ?? []), a.alias]);
  }
  const models = new Map<string, ModelSummary>();
  for (const row of rows) {
    const model = models.get(row.name) ?? { name: row.name, versions: [] };
    model.versions.push({
      name: row.name,
      version: row.version,
      runId: row.run_id,
      runName: row.run_name,
      artifactPath: row.artifact_path,
      sha256: row.sha256,
      size: row.size,
      createdAt: row.created_at,
      actor: row.actor,
      aliases: aliasesOf.get(`${row.name}@${row.version}`) ?? [],
    });
    models.set(row.name, model);
  }
  return [...models.values()];
}

export interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
}

/** The audit log, newest first. */
export function auditEntries(store: IndexStore, options: { limit?: number } = {}): AuditRow[] {
  const rows = store
    .query('SELECT seq, at, actor, action, subject, detail_json FROM audit ORDER BY at DESC, seq DESC LIMIT ?')
    .all(options.limit ?? 10_000) as (Omit<AuditRow, 'detail'> & { detail_json: string })[];
  return rows.map(({ detail_json, ...row }) => ({
    ...row,
    detail: JSON.parse(detail_json) as Record<string, unknown>,
  }));
}

/** How far a journal file has been applied to the index (0 when never). */
export function journalOffset(store: IndexStore, file: string): number {
  return (
    (store.query('SELECT offset FROM journal_offsets WHERE file = ?').pluck().get(file) as number | undefined) ?? 0
  );
}

export function insertModelEvent(store: IndexStore, event: ModelEvent): void {
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

export function insertAuditEntry(store: IndexStore, entry: AuditEntry): void {
  store
    .query('INSERT INTO audit(at, actor, action, subject, detail_json) VALUES (?, ?, ?, ?, ?)')
    .run(entry.at, entry.actor, entry.action, entry.subject, JSON.stringify(entry.detail));
}

/**
 * Runs `apply` and stores the journal's new offset in one transaction, compared-and-set against
 * `from`: false (and nothing applied) when another process got there first.
 */
export function applyJournalRecords(
  store: IndexStore,
  file: string,
  from: number,
  nextOffset: number,
  apply: () => void,
): boolean {
  return store.transaction(() => {
    if (journalOffset(store, file) !== from) return false;
    apply();
    store
      .query(
        'INSERT INTO journal_offsets(file, offset) VALUES (?, ?) ON CONFLICT(file) DO UPDATE SET offset = excluded.offset',
      )
      .run(file, nextOffset);
    return true;
  }, 'immediate');
}

/** A recorded push of a model version (the Models view lists them; Deploy… reads one). */
export interface PushRecord {
  name: string;
  version: number;
  /** The registry host (`host:port`). */
  registry: string;
  repository: string;
  tag: string | null;
  digest: string;
  /** `registry/repository@sha256:…`, what a deployment pulls. */
  reference: string;
  pushedAt: string;
  actor: string;
}

interface PushSqlRow {
  name: string;
  version: number;
  registry: string;
  repository: string;
  tag: string | null;
  digest: string;
  pushed_at: string;
  actor: string;
}

export function pushReference(push: Pick<PushRecord, 'registry' | 'repository' | 'digest'>): string {
  return `${push.registry}/${push.repository}@${push.digest}`;
}

/** Every recorded push, grouped by model version (`name@version`), newest first. */
export function listPushes(store: IndexStore): Map<string, PushRecord[]> {
  const rows = store
    .query(
      `SELECT name, version, registry, repository, tag, digest, pushed_at, actor FROM model_pushes
       ORDER BY pushed_at DESC`,
    )
    .all() as PushSqlRow[];
  const byVersion = new Map<string, PushRecord[]>();
  for (const row of rows) {
    const key = `${row.name}@${row.version}`;
    const record: PushRecord = {
      name: row.name,
      version: row.version,
      registry: row.registry,
      repository: row.repository,
      tag: row.tag,
      digest: row.digest,
      reference: pushReference(row),
      pushedAt: row.pushed_at,
      actor: row.actor,
    };
    byVersion.set(key, [...(byVersion.get(key) ?? []), record]);
  }
  return byVersion;
}

/** An output a run logged: what Register Model offers. */
export interface OutputArtifact {
  path: string;
  kind: string;
  name: string | null;
  sha256: string | null;
}

/** A run's outputs, models first. */
export function outputArtifacts(store: IndexStore, runId: string): OutputArtifact[] {
  return store
    .query(
      `SELECT a.path, a.kind, a.name, a.sha256 FROM artifacts a JOIN runs r ON r.pk = a.run_pk
       WHERE r.id = ? AND a.role = 'output' ORDER BY a.kind = 'model' DESC, a.path`,
    )
    .all(runId) as OutputArtifact[];
}

/** Ids of the runs that logged a model. */
export function runsWithModels(store: IndexStore): Set<string> {
  const ids = store
    .query(
      `SELECT DISTINCT r.id FROM artifacts a JOIN runs r ON r.pk = a.run_pk WHERE a.role = 'output' AND a.kind = 'model'`,
    )
    .pluck()
    .all() as string[];
  return new Set(ids);
}
