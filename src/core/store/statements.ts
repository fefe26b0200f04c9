import type { SqliteDatabase } from './sqlite';

/** Rows of metric points inserted by one multi-row statement: fewer native calls per point. */
export const METRIC_INSERT_BATCH = 256;

export interface SummaryRow {
  last: number | null;
  min: number | null;
  max: number | null;
  count: number;
  last_step: number | null;
  last_ts: number | null;
}

export interface RunStateRow {
  pk: number;
  status: string;
  pid: number | null;
  hostname: string | null;
  ended_at: string | null;
  exit_code: number | null;
  message: string | null;
}

/** Every statement ingest runs, prepared once per connection. */
export function prepareStatements(db: SqliteDatabase) {
  const metricValues = Array.from({ length: METRIC_INSERT_BATCH }, () => '(?,?,?,?,?,?)').join(',');
  return {
    insertExperiment: db.prepare('INSERT INTO experiments(name) VALUES (?) ON CONFLICT(name) DO NOTHING'),
    experimentId: db.prepare('SELECT id FROM experiments WHERE name = ?').pluck<number>(),
    insertRun: db.prepare(`
      INSERT INTO runs(id, experiment_id, name, status, created_at, hostname, git_commit, git_branch, git_dirty,
        git_remote, script, argv_json, cwd, environment_json, placement_json, parent_run_id)
      VALUES (@id, @experimentId, @name, @status, @createdAt, @hostname, @gitCommit, @gitBranch, @gitDirty,
        @gitRemote, @script, @argvJson, @cwd, @environmentJson, @placementJson, @parentRunId)
      ON CONFLICT(id) DO NOTHING`),
    runPk: db.prepare('SELECT pk FROM runs WHERE id = ?').pluck<number>(),
    runState: db.prepare<RunStateRow>(
      'SELECT pk, status, pid, hostname, ended_at, exit_code, message FROM runs WHERE id = ?',
    ),
    updateStatus: db.prepare(`
      UPDATE runs SET status = @status, started_at = @startedAt, ended_at = @endedAt, exit_code = @exitCode,
        signal = @signal, message = @message, pid = @pid
      WHERE pk = @pk`),
    upsertParam: db.prepare(`
      INSERT INTO params(run_pk, key, value_text, value_num) VALUES (?, ?, ?, ?)
      ON CONFLICT(run_pk, key) DO UPDATE SET value_text = excluded.value_text, value_num = excluded.value_num`),
    insertMetricKey: db.prepare('INSERT INTO metric_keys(key) VALUES (?) ON CONFLICT(key) DO NOTHING'),
    metricKeyId: db.prepare('SELECT id FROM metric_keys WHERE key = ?').pluck<number>(),
    insertMetric: db.prepare('INSERT INTO metrics(run_pk, key_id, seq, step, ts, value) VALUES (?,?,?,?,?,?)'),
    insertMetricBatch: db.prepare(`INSERT INTO metrics(run_pk, key_id, seq, step, ts, value) VALUES ${metricValues}`),
    summary: db.prepare<SummaryRow>(
      'SELECT last, min, max, count, last_step, last_ts FROM metric_summaries WHERE run_pk = ? AND key_id = ?',
    ),
    upsertSummary: db.prepare(`
      INSERT INTO metric_summaries(run_pk, key_id, last, min, max, count, last_step, last_ts)
      VALUES (@runPk, @keyId, @last, @min, @max, @count, @lastStep, @lastTs)
      ON CONFLICT(run_pk, key_id) DO UPDATE SET last = excluded.last, min = excluded.min, max = excluded.max,
        count = excluded.count, last_step = excluded.last_step, last_ts = excluded.last_ts`),
    upsertTag: db.prepare(`
      INSERT INTO tags(run_pk, key, value) VALUES (?, ?, ?)
      ON CONFLICT(run_pk, key) DO UPDATE SET value = excluded.value WHERE tags.source = 'run'`),
    setNote: db.prepare('UPDATE runs SET note = ? WHERE pk = ?'),
    upsertArtifact: db.prepare(`
      INSERT INTO artifacts(run_pk, path, role, kind, name, sha256, size) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(run_pk, role, path) DO UPDATE SET kind = excluded.kind, name = excluded.name,
        sha256 = excluded.sha256, size = excluded.size`),
    offset: db.prepare('SELECT offset FROM ingest_offsets WHERE run_pk = ? AND file = ?').pluck<number>(),
    insertOffset: db.prepare(
      'INSERT INTO ingest_offsets(run_pk, file, offset) VALUES (?, ?, 0) ON CONFLICT(run_pk, file) DO NOTHING',
    ),
    setOffset: db.prepare('UPDATE ingest_offsets SET offset = ? WHERE run_pk = ? AND file = ?'),
    fingerprint: db
      .prepare('SELECT fingerprint FROM ingest_offsets WHERE run_pk = ? AND file = ?')
      .pluck<string | null>(),
    setFingerprint: db.prepare('UPDATE ingest_offsets SET fingerprint = ? WHERE run_pk = ? AND file = ?'),
    addMalformed: db.prepare('UPDATE runs SET malformed_lines = malformed_lines + ? WHERE pk = ?'),
    deleteRunMetrics: db.prepare('DELETE FROM metrics WHERE run_pk = ?'),
    deleteRun: db.prepare('DELETE FROM runs WHERE pk = ?'),
    deleteEmptyExperiment: db.prepare(
      'DELETE FROM experiments WHERE id = ? AND NOT EXISTS (SELECT 1 FROM runs WHERE experiment_id = ?)',
    ),
    runExperimentId: db.prepare('SELECT experiment_id FROM runs WHERE pk = ?').pluck<number>(),
    indexedRuns: db.prepare<{ id: string; status: string }>('SELECT id, status FROM runs'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
