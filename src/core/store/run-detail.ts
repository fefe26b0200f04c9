import type { IndexStore } from './database';
import { paramsForRuns, summariesForRuns, toRunRow, type ParamEntry, type RunRow, type SummaryEntry } from './runs';

/** One run's page: its row, params, tags, artifacts and metric summaries. */

export interface ArtifactRow {
  path: string;
  role: 'input' | 'output';
  kind: 'model' | 'dataset' | 'file';
  name: string | null;
  sha256: string | null;
  size: number | null;
}

export interface RunDetail extends RunRow {
  pid: number | null;
  hostname: string | null;
  signal: string | null;
  gitRemote: string | null;
  argv: string[];
  cwd: string;
  environment: Record<string, unknown>;
  placement: Record<string, unknown>;
  params: ParamEntry[];
  tags: { key: string; value: string }[];
  artifacts: ArtifactRow[];
  summaries: SummaryEntry[];
}

export function getRunDetail(store: IndexStore, runId: string): RunDetail | null {
  const raw = store
    .query(
      `SELECT r.pk AS pk, r.id AS id, e.name AS experiment, r.name AS name, r.status AS status,
         r.created_at AS createdAt, r.started_at AS startedAt, r.ended_at AS endedAt, r.exit_code AS exitCode,
         r.message AS message, r.script AS script, r.git_commit AS gitCommit, r.git_branch AS gitBranch,
         r.git_dirty AS gitDirty, r.parent_run_id AS parentRunId, r.malformed_lines AS malformedLines,
         r.note AS note, r.pid AS pid, r.hostname AS hostname, r.signal AS signal, r.git_remote AS gitRemote,
         r.argv_json AS argvJson, r.cwd AS cwd, r.environment_json AS environmentJson,
         r.placement_json AS placementJson
       FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ?`,
    )
    .get(runId) as
    | (Parameters<typeof toRunRow>[0] & {
        pid: number | null;
        hostname: string | null;
        signal: string | null;
        gitRemote: string | null;
        argvJson: string;
        cwd: string;
        environmentJson: string;
        placementJson: string;
      })
    | undefined;
  if (!raw) return null;
  const { argvJson, environmentJson, placementJson, pid, hostname, signal, gitRemote, cwd, ...runColumns } = raw;
  const tags = store
    .query('SELECT key, value FROM tags WHERE run_pk = ? ORDER BY key')
    .all(raw.pk) as RunDetail['tags'];
  const artifacts = store
    .query('SELECT path, role, kind, name, sha256, size FROM artifacts WHERE run_pk = ? ORDER BY role, path')
    .all(raw.pk) as ArtifactRow[];
  return {
    ...toRunRow(runColumns),
    pid,
    hostname,
    signal,
    gitRemote,
    cwd,
    argv: JSON.parse(argvJson) as string[],
    environment: JSON.parse(environmentJson) as Record<string, unknown>,
    placement: JSON.parse(placementJson) as Record<string, unknown>,
    params: paramsForRuns(store, [runId]),
    tags,
    artifacts,
    summaries: summariesForRuns(store, [runId]),
  };
}
