import type { IndexStore } from './database';

/** pk, id, name, experiment, status, created_at, git_commit, git_dirty */
export type LineageRunRow = [number, string, string, string, string, string, string | null, number | null];
export type LineageArtifactKind = 'dataset' | 'model' | 'file';
/** run_pk, path, role, kind, sha256, size */
export type LineageArtifactRow = [
  number,
  string,
  'input' | 'output',
  LineageArtifactKind,
  string | null,
  number | null,
];

export interface LineageRows {
  runs: LineageRunRow[];
  versions: { name: string; version: number; run_id: string; artifact_path: string; sha256: string | null }[];
  aliases: { name: string; alias: string; version: number }[];
  artifacts: LineageArtifactRow[];
  /** Tags linking a run to another run or a report: `key` is one of the keys asked for. */
  links: { run_id: string; key: string; value: string }[];
  pushes: { name: string; version: number; registry: string; repository: string; tag: string | null; digest: string }[];
}

/**
 * Every row the lineage graph is built from, in a handful of scans. Runs and artifacts come as
 * arrays in primary-key (ingest) order, with no sort and no join: building objects and sorting were
 * most of the load time on a 10,000-node graph.
 */
export function lineageRows(store: IndexStore, linkTags: readonly string[]): LineageRows {
  return {
    runs: store
      .query(
        `SELECT r.pk, r.id, r.name, e.name, r.status, r.created_at, r.git_commit, r.git_dirty
         FROM runs r JOIN experiments e ON e.id = r.experiment_id ORDER BY r.pk`,
      )
      .raw<LineageRunRow>()
      .all(),
    versions: store
      .query<LineageRows['versions'][number]>(
        'SELECT name, version, run_id, artifact_path, sha256 FROM model_versions ORDER BY name, version',
      )
      .all(),
    aliases: store
      .query<LineageRows['aliases'][number]>('SELECT name, alias, version FROM model_aliases ORDER BY alias')
      .all(),
    artifacts: store
      .query('SELECT run_pk, path, role, kind, sha256, size FROM artifacts')
      .raw<LineageArtifactRow>()
      .all(),
    links: store
      .query<LineageRows['links'][number]>(
        `SELECT r.id AS run_id, t.key AS key, t.value AS value FROM tags t JOIN runs r ON r.pk = t.run_pk
         WHERE t.key IN (SELECT value FROM json_each(?)) ORDER BY r.pk`,
      )
      .all(JSON.stringify(linkTags)),
    pushes: store
      .query<LineageRows['pushes'][number]>(
        'SELECT name, version, registry, repository, tag, digest FROM model_pushes ORDER BY pushed_at',
      )
      .all(),
  };
}
