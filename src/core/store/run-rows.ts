import { appendToSummary, extendSummary, type MetricSummary } from '../metrics/summary';
import type { EffectiveStatus } from '../runs/ingest-status';
import { RunFile, type RunInfo } from '../runs/protocol';
import type { EventChunk } from '../runs/reader';
import type { IndexStore } from './database';
import { paramColumns } from './param-values';
import { updateSeriesTiers } from './series-tiers';
import { METRIC_INSERT_BATCH, type SummaryRow } from './statements';

/**
 * The synchronous halves of ingest: each function runs inside one transaction that never awaits, so
 * rows and the offset they came from commit together or not at all.
 */

/** The tag whose value is the run's note, so notes live in the run folder like everything else. */
export const NOTE_TAG = 'note';

/**
 * Inserts the run from its run.json unless another ingester already did. Returns its pk.
 * `runJsonFingerprint` is that of the run.json `info` was read from (taken before reading it).
 */
export function insertRunRow(store: IndexStore, info: RunInfo, runJsonFingerprint: string | null = null): number {
  const s = store.statements;
  return store.transaction(() => {
    const existing = s.runPk.get(info.id);
    if (existing !== undefined) return existing;
    s.insertExperiment.run(info.experiment);
    const experimentId = s.experimentId.get(info.experiment);
    s.insertRun.run({
      id: info.id,
      experimentId,
      name: info.name,
      status: 'running',
      createdAt: info.createdAt,
      hostname: info.environment.hostname,
      gitCommit: info.git?.commit ?? null,
      gitBranch: info.git?.branch ?? null,
      gitDirty: info.git ? (info.git.dirty ? 1 : 0) : null,
      gitRemote: info.git?.remote ?? null,
      script: info.script,
      argvJson: JSON.stringify(info.argv),
      cwd: info.cwd,
      environmentJson: JSON.stringify(info.environment),
      placementJson: JSON.stringify(info.placement),
      parentRunId: info.parentRunId,
    });
    const pk = s.runPk.get(info.id) as number;
    for (const [key, value] of Object.entries(info.params)) s.upsertParam.run(pk, key, ...paramColumns(value));
    s.insertOffset.run(pk, RunFile.events);
    s.insertOffset.run(pk, RunFile.status);
    s.insertOffset.run(pk, RunFile.run);
    s.setFingerprint.run(runJsonFingerprint, pk, RunFile.run);
    return pk;
  }, 'immediate');
}

/**
 * Brings what a run recorded of its start up to date with a run.json written again: the launcher
 * rewrites it once the interpreter probe has answered (the command already runs by then), a queued
 * or Slurm run's launcher adopts its folder with the git state and machine of its own start, and an
 * ended Slurm job gets its node. Experiment, name and params stay as first indexed: a rename goes
 * through annotations. Returns true when a column changed.
 */
export function updateRunStart(store: IndexStore, pk: number, info: RunInfo, runJsonFingerprint: string): boolean {
  const s = store.statements;
  const values = {
    pk,
    hostname: info.environment.hostname,
    gitCommit: info.git?.commit ?? null,
    gitBranch: info.git?.branch ?? null,
    gitDirty: info.git ? (info.git.dirty ? 1 : 0) : null,
    gitRemote: info.git?.remote ?? null,
    environmentJson: JSON.stringify(info.environment),
    placementJson: JSON.stringify(info.placement),
  };
  return store.transaction(() => {
    const changed = store
      .query(
        `UPDATE runs SET hostname = @hostname, git_commit = @gitCommit, git_branch = @gitBranch,
             git_dirty = @gitDirty, git_remote = @gitRemote, environment_json = @environmentJson,
             placement_json = @placementJson
           WHERE pk = @pk AND (hostname IS NOT @hostname OR git_commit IS NOT @gitCommit
             OR git_branch IS NOT @gitBranch OR git_dirty IS NOT @gitDirty OR git_remote IS NOT @gitRemote
             OR environment_json IS NOT @environmentJson OR placement_json IS NOT @placementJson)`,
      )
      .run(values).changes;
    // Runs indexed before run.json was fingerprinted have no row for it yet.
    s.insertOffset.run(pk, RunFile.run);
    s.setFingerprint.run(runJsonFingerprint, pk, RunFile.run);
    return changed > 0;
  }, 'immediate');
}

/** Stores the status (with the fingerprint of the status.json it came from). */
export function writeStatus(store: IndexStore, runId: string, status: EffectiveStatus, fingerprint: string | null) {
  const s = store.statements;
  store.transaction(() => {
    const pk = s.runPk.get(runId);
    if (pk === undefined) return;
    s.updateStatus.run({ ...status, pk });
    s.setFingerprint.run(fingerprint, pk, RunFile.status);
  }, 'immediate');
}

/** Removes a run and everything under it; its experiment goes too once empty. */
export function deleteRunRows(store: IndexStore, runId: string): boolean {
  const s = store.statements;
  return store.transaction(() => {
    const pk = s.runPk.get(runId);
    if (pk === undefined) return false;
    const experimentId = s.runExperimentId.get(pk) as number;
    s.deleteRunMetrics.run(pk);
    store.query('DELETE FROM metric_tiers WHERE run_pk = ?').run(pk);
    s.deleteRun.run(pk);
    s.deleteEmptyExperiment.run(experimentId, experimentId);
    return true;
  }, 'immediate');
}

function summaryFromRow(row: SummaryRow | undefined): MetricSummary | null {
  if (!row) return null;
  // SQLite stores NaN as NULL.
  return {
    last: row.last ?? Number.NaN,
    min: row.min,
    max: row.max,
    count: row.count,
    lastStep: row.last_step,
    lastTs: row.last_ts ?? 0,
  };
}

interface SeriesState {
  keyId: number;
  summary: MetricSummary | null;
  /** The chunk's points of this series, four numbers each: seq, step, ts, value (NaN as null). */
  points: (number | null)[];
}

/**
 * Applies one chunk of events.jsonl if the index still stands at `chunkStart` (compare-and-set): a
 * second ingester that got there first has already committed these lines, so this one skips them.
 * Returns false when the chunk was skipped.
 */
export function applyEventChunk(store: IndexStore, runId: string, chunkStart: number, chunk: EventChunk): boolean {
  const s = store.statements;
  return store.transaction(() => {
    const pk = s.runPk.get(runId);
    if (pk === undefined) return false;
    if (s.offset.get(pk, RunFile.events) !== chunkStart) return false;

    const series = new Map<string, SeriesState>();
    for (const event of chunk.events) {
      switch (event.type) {
        case 'metric': {
          let state = series.get(event.key);
          if (!state) {
            s.insertMetricKey.run(event.key);
            const keyId = s.metricKeyId.get(event.key) as number;
            state = { keyId, summary: summaryFromRow(s.summary.get(pk, keyId)), points: [] };
            series.set(event.key, state);
          }
          const step = event.step ?? null;
          const seq = state.summary ? state.summary.count : 0;
          const point = { value: event.value, step, ts: event.ts };
          if (state.summary) appendToSummary(state.summary, point);
          else state.summary = extendSummary(null, point);
          state.points.push(seq, step, event.ts, Number.isNaN(event.value) ? null : event.value);
          break;
        }
        case 'params':
          for (const [key, value] of Object.entries(event.values)) s.upsertParam.run(pk, key, ...paramColumns(value));
          break;
        case 'tag':
          s.upsertTag.run(pk, event.key, event.value);
          if (event.key === NOTE_TAG) s.setNote.run(event.value, pk);
          break;
        case 'artifact':
          s.upsertArtifact.run(
            pk,
            event.path,
            event.role,
            event.kind,
            event.name ?? null,
            event.sha256 ?? null,
            event.size ?? null,
          );
          break;
      }
    }
    insertPoints(store, pk, series);
    // The tier rows commit with the points they summarize, or neither does.
    const prepare = (sql: string) => store.query(sql);
    for (const state of series.values()) {
      updateSeriesTiers(prepare, pk, state.keyId, state.points[0] as number, state.points);
    }
    for (const state of series.values()) {
      const summary = state.summary as MetricSummary;
      s.upsertSummary.run({
        runPk: pk,
        keyId: state.keyId,
        last: Number.isNaN(summary.last) ? null : summary.last,
        min: summary.min,
        max: summary.max,
        count: summary.count,
        lastStep: summary.lastStep,
        lastTs: summary.lastTs,
      });
    }
    if (chunk.malformed > 0) s.addMalformed.run(chunk.malformed, pk);
    s.setOffset.run(chunk.nextOffset, pk, RunFile.events);
    return true;
  }, 'immediate');
}

/**
 * Inserts the chunk's points series by series, in key order. Points are clustered by (run, key, seq),
 * so each series then extends the end of its own range in turn: SQLite appends to one page at a time
 * instead of splitting a page per key per step, which halves the cost of an interleaved insert.
 */
function insertPoints(store: IndexStore, pk: number, series: ReadonlyMap<string, SeriesState>): void {
  const s = store.statements;
  const ordered = [...series.values()].sort((a, b) => a.keyId - b.keyId);
  const pending: (number | null)[] = [];
  for (const state of ordered) {
    const { keyId, points } = state;
    for (let i = 0; i < points.length; i += 4) {
      pending.push(
        pk,
        keyId,
        points[i] as number,
        points[i + 1] ?? null,
        points[i + 2] as number,
        points[i + 3] ?? null,
      );
      if (pending.length === METRIC_INSERT_BATCH * 6) {
        s.insertMetricBatch.run(...pending);
        pending.length = 0;
      }
    }
  }
  for (let i = 0; i < pending.length; i += 6) s.insertMetric.run(...pending.slice(i, i + 6));
}

/** The fingerprint stored for one of a run's files; undefined when the file was never seen. */
export function storedFingerprint(store: IndexStore, pk: number, file: string): string | null | undefined {
  return store.query('SELECT fingerprint FROM ingest_offsets WHERE run_pk = ? AND file = ?').pluck().get(pk, file) as
    string | null | undefined;
}

/**
 * What the user gave a run in the editor (`annotations.json`): its name, note and user tags (which
 * replace each other as a set and win over a training tag of the same key), with the file's
 * fingerprint, in one transaction.
 */
export function applyAnnotations(
  store: IndexStore,
  pk: number,
  annotations: { name: string; note: string; tags: Record<string, string> },
  file: string,
  fingerprint: string | null,
): void {
  store.transaction(() => {
    // A cleared note falls back to one the training process set as its `note` tag.
    store
      .query(
        `UPDATE runs SET name = ?,
           note = COALESCE(NULLIF(?, ''), (SELECT value FROM tags WHERE run_pk = ? AND key = 'note' AND source = 'run'))
         WHERE pk = ?`,
      )
      .run(annotations.name, annotations.note, pk, pk);
    store.query("DELETE FROM tags WHERE run_pk = ? AND source = 'user'").run(pk);
    const insert = store.query(
      `INSERT INTO tags(run_pk, key, value, source) VALUES (?, ?, ?, 'user')
       ON CONFLICT(run_pk, key) DO UPDATE SET value = excluded.value, source = 'user'`,
    );
    for (const [key, value] of Object.entries(annotations.tags)) insert.run(pk, key, value);
    store
      .query(
        `INSERT INTO ingest_offsets(run_pk, file, offset, fingerprint) VALUES (?, ?, 0, ?)
         ON CONFLICT(run_pk, file) DO UPDATE SET fingerprint = excluded.fingerprint`,
      )
      .run(pk, file, fingerprint);
  }, 'immediate');
}
