import type { IndexStore } from '../store/database';

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
