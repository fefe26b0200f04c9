import type { IndexStore } from '../../core/store/database';

/** A push of a model version as the Models view shows it (and the Deployments view reads from a push node). */
export interface PushNodeRecord {
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

export function pushReference(push: Pick<PushNodeRecord, 'registry' | 'repository' | 'digest'>): string {
  return `${push.registry}/${push.repository}@${push.digest}`;
}

/** Every recorded push, grouped by model version (`name@version`), newest first. */
export function listPushes(store: IndexStore): Map<string, PushNodeRecord[]> {
  const rows = store
    .query(
      `SELECT name, version, registry, repository, tag, digest, pushed_at, actor FROM model_pushes
       ORDER BY pushed_at DESC`,
    )
    .all() as PushSqlRow[];
  const byVersion = new Map<string, PushNodeRecord[]>();
  for (const row of rows) {
    const key = `${row.name}@${row.version}`;
    const record: PushNodeRecord = {
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
