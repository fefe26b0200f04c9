import { z } from 'zod';
import type { RunStatusValue } from '../runs/protocol';
import type { IndexStore } from './database';
import type { SqlValue } from './sqlite';

/** Read-only queries over the index for lists and tables. None scans raw metric points. */

export interface ExperimentRow {
  name: string;
  runCount: number;
  lastCreatedAt: string | null;
}

export function listExperiments(store: IndexStore): ExperimentRow[] {
  return store
    .query(
      `SELECT e.name AS name, COUNT(r.pk) AS runCount, MAX(r.created_at) AS lastCreatedAt
       FROM experiments e LEFT JOIN runs r ON r.experiment_id = e.id
       GROUP BY e.id ORDER BY lastCreatedAt DESC, e.name`,
    )
    .all() as ExperimentRow[];
}

export const RunsQuerySchema = z.object({
  experiment: z.string().optional(),
  /** Matched against the run's id, name and script. */
  text: z.string().optional(),
  status: z.array(z.string()).optional(),
  tag: z.object({ key: z.string(), value: z.string().optional() }).optional(),
  /** Leaves out runs that carry this tag key (e.g. sweep trials, listed under their sweep). */
  withoutTag: z.string().optional(),
  sort: z
    .union([z.object({ by: z.literal('created') }), z.object({ by: z.literal('metric'), key: z.string() })])
    .default({ by: 'created' }),
  direction: z.enum(['asc', 'desc']).default('desc'),
  limit: z.number().int().positive().max(10_000).default(100),
  offset: z.number().int().nonnegative().default(0),
});
export type RunsQuery = z.input<typeof RunsQuerySchema>;

export interface RunRow {
  id: string;
  experiment: string;
  name: string;
  status: RunStatusValue;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  exitCode: number | null;
  message: string | null;
  script: string | null;
  gitCommit: string | null;
  gitBranch: string | null;
  gitDirty: boolean | null;
  parentRunId: string | null;
  malformedLines: number;
  note: string | null;
  /** The sort metric's last value when sorting by a metric. */
  sortValue?: number | null;
}

const RUN_COLUMNS = `r.id AS id, e.name AS experiment, r.name AS name, r.status AS status, r.created_at AS createdAt,
  r.started_at AS startedAt, r.ended_at AS endedAt, r.exit_code AS exitCode, r.message AS message,
  r.script AS script, r.git_commit AS gitCommit, r.git_branch AS gitBranch, r.git_dirty AS gitDirty,
  r.parent_run_id AS parentRunId, r.malformed_lines AS malformedLines, r.note AS note`;

type RawRunRow = Omit<RunRow, 'gitDirty'> & { gitDirty: number | null; pk: number };

export function toRunRow(raw: RawRunRow): RunRow {
  const { pk: _pk, ...rest } = raw;
  return { ...rest, gitDirty: raw.gitDirty === null ? null : raw.gitDirty === 1 };
}

export interface RunsPage {
  total: number;
  rows: RunRow[];
}

/**
 * One page of runs. Filters use the indexes on (experiment, created), (status, created) and
 * tags(key, value); a metric sort walks metric_summaries(key, last), never the points.
 */
export function queryRuns(store: IndexStore, query: RunsQuery = {}): RunsPage {
  const q = RunsQuerySchema.parse(query);
  const where: string[] = [];
  const params: Record<string, SqlValue> = {};
  if (q.experiment !== undefined) {
    where.push('r.experiment_id = (SELECT id FROM experiments WHERE name = @experiment)');
    params.experiment = q.experiment;
  }
  if (q.status && q.status.length > 0) {
    where.push('r.status IN (SELECT value FROM json_each(@statuses))');
    params.statuses = JSON.stringify(q.status);
  }
  if (q.text) {
    where.push("(r.id LIKE @text ESCAPE '\\' OR r.name LIKE @text ESCAPE '\\' OR r.script LIKE @text ESCAPE '\\')");
    params.text = `%${q.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  }
  if (q.tag) {
    where.push(
      q.tag.value === undefined
        ? 'r.pk IN (SELECT run_pk FROM tags WHERE key = @tagKey)'
        : 'r.pk IN (SELECT run_pk FROM tags WHERE key = @tagKey AND value = @tagValue)',
    );
    params.tagKey = q.tag.key;
    if (q.tag.value !== undefined) params.tagValue = q.tag.value;
  }
  if (q.withoutTag !== undefined) {
    where.push('r.pk NOT IN (SELECT run_pk FROM tags WHERE key = @withoutTag)');
    params.withoutTag = q.withoutTag;
  }
  const whereSql = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const direction = q.direction === 'asc' ? 'ASC' : 'DESC';
  let join = '';
  let order = `r.created_at ${direction}, r.id ${direction}`;
  let extra = '';
  if (q.sort.by === 'metric') {
    join = `LEFT JOIN metric_summaries s ON s.run_pk = r.pk
      AND s.key_id = (SELECT id FROM metric_keys WHERE key = @sortKey)`;
    params.sortKey = q.sort.key;
    // Runs without the metric come last whichever the direction.
    order = `s.last IS NULL, s.last ${direction}, r.created_at DESC`;
    extra = ', s.last AS sortValue';
  }
  const total = store.query(`SELECT COUNT(*) FROM runs r ${whereSql}`).pluck().get(params) as number;
  const rows = store
    .query(
      `SELECT r.pk AS pk, ${RUN_COLUMNS}${extra} FROM runs r JOIN experiments e ON e.id = r.experiment_id ${join}
       ${whereSql} ORDER BY ${order} LIMIT @limit OFFSET @offset`,
    )
    .all({ ...params, limit: q.limit, offset: q.offset }) as RawRunRow[];
  return { total, rows: rows.map(toRunRow) };
}

export interface SummaryEntry {
  runId: string;
  key: string;
  last: number | null;
  min: number | null;
  max: number | null;
  count: number;
  lastStep: number | null;
  lastTs: number | null;
}

/** Metric summaries of many runs in one query (NaN comes back as null). */
export function summariesForRuns(store: IndexStore, runIds: readonly string[]): SummaryEntry[] {
  if (runIds.length === 0) return [];
  return store
    .query(
      `SELECT r.id AS runId, k.key AS key, s.last AS last, s.min AS min, s.max AS max, s.count AS count,
         s.last_step AS lastStep, s.last_ts AS lastTs
       FROM runs r JOIN metric_summaries s ON s.run_pk = r.pk JOIN metric_keys k ON k.id = s.key_id
       WHERE r.id IN (SELECT value FROM json_each(?)) ORDER BY r.id, k.key`,
    )
    .all(JSON.stringify(runIds)) as SummaryEntry[];
}

export interface ParamEntry {
  runId: string;
  key: string;
  text: string | null;
  number: number | null;
}

export function paramsForRuns(store: IndexStore, runIds: readonly string[]): ParamEntry[] {
  if (runIds.length === 0) return [];
  return store
    .query(
      `SELECT r.id AS runId, p.key AS key, p.value_text AS text, p.value_num AS number
       FROM runs r JOIN params p ON p.run_pk = r.pk
       WHERE r.id IN (SELECT value FROM json_each(?)) ORDER BY r.id, p.key`,
    )
    .all(JSON.stringify(runIds)) as ParamEntry[];
}

export type RunIdResolution =
  { kind: 'found'; runId: string } | { kind: 'none' } | { kind: 'ambiguous'; candidates: string[] };

/** A full run id, or a unique prefix of one (case-insensitive, as ULIDs are). */
export function resolveRunId(store: IndexStore, idOrPrefix: string): RunIdResolution {
  const upper = idOrPrefix.toUpperCase();
  const exact = store.query('SELECT id FROM runs WHERE id = ? OR id = ?').pluck().get(idOrPrefix, upper) as
    string | undefined;
  if (exact) return { kind: 'found', runId: exact };
  // Range scan on the unique index: ids with the prefix sort between prefix and prefix + U+FFFF.
  const candidates = store
    .query('SELECT id FROM runs WHERE (id >= ? AND id < ?) OR (id >= ? AND id < ?) ORDER BY id LIMIT 6')
    .pluck()
    .all(idOrPrefix, `${idOrPrefix}\uffff`, upper, `${upper}\uffff`) as string[];
  const unique = [...new Set(candidates)];
  if (unique.length === 0) return { kind: 'none' };
  if (unique.length === 1) return { kind: 'found', runId: unique[0] as string };
  return { kind: 'ambiguous', candidates: unique.slice(0, 5) };
}

/** Every run id (of one experiment, when given), oldest first — for exports, not for pages. */
export function allRunIds(store: IndexStore, experiment?: string): string[] {
  if (experiment === undefined) {
    return store.query('SELECT id FROM runs ORDER BY created_at, id').pluck().all() as string[];
  }
  return store
    .query(
      `SELECT id FROM runs WHERE experiment_id = (SELECT id FROM experiments WHERE name = ?)
       ORDER BY created_at, id`,
    )
    .pluck()
    .all(experiment) as string[];
}

/** Metric keys the recent runs of an experiment logged, sorted (for sort and primary-metric pickers). */
export function metricKeysOfExperiment(store: IndexStore, experiment: string, recentRuns = 200): string[] {
  const ids = queryRuns(store, { experiment, limit: recentRuns }).rows.map((r) => r.id);
  return [...new Set(summariesForRuns(store, ids).map((s) => s.key))].sort();
}

/** Runs the index holds as running or waiting for a node: those whose end is still to be seen. */
export function activeRunIds(store: IndexStore): string[] {
  return store
    .query("SELECT id FROM runs WHERE status IN ('running', 'pending') ORDER BY pk")
    .pluck()
    .all() as string[];
}

/** How many runs the index holds. */
export function runCount(store: IndexStore): number {
  return store.query('SELECT COUNT(*) FROM runs').pluck().get() as number;
}

/** The ids of every run the index holds. */
export function indexedRunIds(store: IndexStore): Set<string> {
  return new Set(store.query('SELECT id FROM runs').pluck().all() as string[]);
}
