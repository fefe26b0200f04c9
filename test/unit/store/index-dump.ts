import type { IndexStore } from '../../../src/core/store/database';

/**
 * Every table of the index by natural keys (run id, metric key), sorted, so two indexes built in a
 * different order or by different processes compare equal exactly when they hold the same data.
 */
export function dumpIndex(store: IndexStore): Record<string, unknown[]> {
  const all = (sql: string) => store.db.prepare(sql).all();
  return {
    experiments: all('SELECT name FROM experiments ORDER BY name'),
    runs: all(`SELECT r.id, e.name AS experiment, r.name, r.status, r.created_at, r.started_at, r.ended_at,
      r.exit_code, r.signal, r.message, r.pid, r.hostname, r.git_commit, r.git_branch, r.git_dirty, r.git_remote,
      r.script, r.argv_json, r.cwd, r.environment_json, r.placement_json, r.parent_run_id, r.malformed_lines, r.note
      FROM runs r JOIN experiments e ON e.id = r.experiment_id ORDER BY r.id`),
    params: all(`SELECT r.id, p.key, p.value_text, p.value_num FROM params p JOIN runs r ON r.pk = p.run_pk
      ORDER BY r.id, p.key`),
    metricKeys: all('SELECT key FROM metric_keys ORDER BY key'),
    metrics: all(`SELECT r.id, k.key, m.seq, m.step, m.ts, m.value FROM metrics m JOIN runs r ON r.pk = m.run_pk
      JOIN metric_keys k ON k.id = m.key_id ORDER BY r.id, k.key, m.seq`),
    summaries: all(`SELECT r.id, k.key, s.last, s.min, s.max, s.count, s.last_step, s.last_ts
      FROM metric_summaries s JOIN runs r ON r.pk = s.run_pk JOIN metric_keys k ON k.id = s.key_id
      ORDER BY r.id, k.key`),
    tags: all('SELECT r.id, t.key, t.value FROM tags t JOIN runs r ON r.pk = t.run_pk ORDER BY r.id, t.key'),
    artifacts: all(`SELECT r.id, a.path, a.role, a.kind, a.name, a.sha256, a.size FROM artifacts a
      JOIN runs r ON r.pk = a.run_pk ORDER BY r.id, a.role, a.path`),
    offsets: all(`SELECT r.id, o.file, o.offset FROM ingest_offsets o JOIN runs r ON r.pk = o.run_pk
      ORDER BY r.id, o.file`),
  };
}
