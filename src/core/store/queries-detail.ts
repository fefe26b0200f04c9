import { downsample, type DownsampleMethod, type Series } from '../metrics/downsample';
import type { IndexStore } from './database';
import {
  paramsForRuns,
  summariesForRuns,
  toRunRow,
  type ParamEntry,
  type RunRow,
  type SummaryEntry,
} from './queries-runs';

/** Queries for one run's page, its charts, and the comparison of several runs. */

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

export interface SeriesQuery {
  runId: string;
  key: string;
  /** x is the logged step (the point's order when it has none) or the wall-clock time. */
  axis?: 'step' | 'time';
  /** Downsample to at most this many points; raw when absent. */
  maxPoints?: number;
  method?: DownsampleMethod;
  /** Only points after this seq (a live chart asking for what is new). */
  afterSeq?: number;
}

export interface MetricSeries extends Series {
  runId: string;
  key: string;
  axis: 'step' | 'time';
  /** Points in the index for this series (before downsampling). */
  total: number;
  /** The seq of the last point read, for `afterSeq` of the next request. */
  lastSeq: number;
  downsampled: boolean;
}

/**
 * One series in logged order. NaN points are kept in a raw series (charts show a gap) and dropped
 * before downsampling, which compares values.
 */
export function getMetricSeries(store: IndexStore, query: SeriesQuery): MetricSeries | null {
  const axis = query.axis ?? 'step';
  const ids = store
    .query(
      `SELECT r.pk AS runPk, k.id AS keyId FROM runs r, metric_keys k
       WHERE r.id = ? AND k.key = ?`,
    )
    .get(query.runId, query.key) as { runPk: number; keyId: number } | undefined;
  if (!ids) return null;
  const rows = store
    .query(`SELECT seq, step, ts, value FROM metrics WHERE run_pk = ? AND key_id = ? AND seq > ? ORDER BY seq`)
    .raw(true)
    .all(ids.runPk, ids.keyId, query.afterSeq ?? -1) as [number, number | null, number, number | null][];
  const x: number[] = new Array<number>(rows.length);
  const y: number[] = new Array<number>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const [seq, step, ts, value] = rows[i] as [number, number | null, number, number | null];
    x[i] = axis === 'time' ? ts : (step ?? seq);
    y[i] = value ?? Number.NaN;
  }
  const lastSeq = rows.at(-1)?.[0] ?? query.afterSeq ?? -1;
  let series: Series = { x, y };
  let downsampled = false;
  if (query.maxPoints !== undefined && rows.length > query.maxPoints) {
    series = downsample(withoutNaN(series), query.maxPoints, query.method ?? 'lttb');
    downsampled = true;
  }
  return { runId: query.runId, key: query.key, axis, total: rows.length, lastSeq, downsampled, ...series };
}

function withoutNaN(series: Series): Series {
  if (!series.y.some(Number.isNaN)) return series;
  const x: number[] = [];
  const y: number[] = [];
  series.y.forEach((v, i) => {
    if (!Number.isNaN(v)) {
      x.push(series.x[i] as number);
      y.push(v);
    }
  });
  return { x, y };
}

export interface ComparisonPayload {
  runs: RunRow[];
  params: ParamEntry[];
  summaries: SummaryEntry[];
  /** Union of param and metric keys over the runs, for table columns. */
  paramKeys: string[];
  metricKeys: string[];
}

/** Everything the compare table needs for a set of runs, in three queries whatever their number. */
export function getComparison(store: IndexStore, runIds: readonly string[]): ComparisonPayload {
  const ids = JSON.stringify(runIds);
  const rawRuns = store
    .query(
      `SELECT r.pk AS pk, r.id AS id, e.name AS experiment, r.name AS name, r.status AS status,
         r.created_at AS createdAt, r.started_at AS startedAt, r.ended_at AS endedAt, r.exit_code AS exitCode,
         r.message AS message, r.script AS script, r.git_commit AS gitCommit, r.git_branch AS gitBranch,
         r.git_dirty AS gitDirty, r.parent_run_id AS parentRunId, r.malformed_lines AS malformedLines,
         r.note AS note
       FROM runs r JOIN experiments e ON e.id = r.experiment_id
       WHERE r.id IN (SELECT value FROM json_each(?)) ORDER BY r.created_at`,
    )
    .all(ids) as Parameters<typeof toRunRow>[0][];
  const params = paramsForRuns(store, runIds);
  const summaries = summariesForRuns(store, runIds);
  return {
    runs: rawRuns.map(toRunRow),
    params,
    summaries,
    paramKeys: [...new Set(params.map((p) => p.key))].sort(),
    metricKeys: [...new Set(summaries.map((s) => s.key))].sort(),
  };
}
