import type { IndexStore } from '../store/database';
import type { SummaryRow } from '../store/statements';
import { METRIC_INSERT_BATCH } from '../store/statements';
import { appendToSummary, extendSummary, type MetricSummary } from '../metrics/summary';
import type { EffectiveStatus } from './ingest-status';
import type { EventChunk } from './reader';
import { RunFile, type ParamValue, type RunInfo } from './protocol';

/**
 * The synchronous halves of ingest: each function runs inside one transaction that never awaits, so
 * rows and the offset they came from commit together or not at all.
 */

/** The tag whose value is the run's note, so notes live in the run folder like everything else. */
export const NOTE_TAG = 'note';

export function paramColumns(value: ParamValue): [string | null, number | null] {
  if (value === null) return [null, null];
  if (typeof value === 'number') return [String(value), Number.isFinite(value) ? value : null];
  if (typeof value === 'boolean') return [String(value), value ? 1 : 0];
  const trimmed = value.trim();
  const asNumber = trimmed === '' ? Number.NaN : Number(trimmed);
  return [value, Number.isFinite(asNumber) ? asNumber : null];
}

/** Inserts the run from its run.json unless another ingester already did. Returns its pk. */
export function insertRunRow(store: IndexStore, info: RunInfo): number {
  const s = store.statements;
  return store.db
    .transaction(() => {
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
      return pk;
    })
    .immediate();
}

/** Stores the status (with the fingerprint of the status.json it came from). */
export function writeStatus(store: IndexStore, runId: string, status: EffectiveStatus, fingerprint: string | null) {
  const s = store.statements;
  store.db
    .transaction(() => {
      const pk = s.runPk.get(runId);
      if (pk === undefined) return;
      s.updateStatus.run({ ...status, pk });
      s.setFingerprint.run(fingerprint, pk, RunFile.status);
    })
    .immediate();
}

/** Removes a run and everything under it; its experiment goes too once empty. */
export function deleteRunRows(store: IndexStore, runId: string): boolean {
  const s = store.statements;
  return store.db
    .transaction(() => {
      const pk = s.runPk.get(runId);
      if (pk === undefined) return false;
      const experimentId = s.runExperimentId.get(pk) as number;
      s.deleteRunMetrics.run(pk);
      s.deleteRun.run(pk);
      s.deleteEmptyExperiment.run(experimentId, experimentId);
      return true;
    })
    .immediate();
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
}

/**
 * Applies one chunk of events.jsonl if the index still stands at `chunkStart` (compare-and-set): a
 * second ingester that got there first has already committed these lines, so this one skips them.
 * Returns false when the chunk was skipped.
 */
export function applyEventChunk(store: IndexStore, runId: string, chunkStart: number, chunk: EventChunk): boolean {
  const s = store.statements;
  return store.db
    .transaction(() => {
      const pk = s.runPk.get(runId);
      if (pk === undefined) return false;
      if (s.offset.get(pk, RunFile.events) !== chunkStart) return false;

      const series = new Map<string, SeriesState>();
      const pending: (number | null)[] = [];
      const flushBatch = () => {
        s.insertMetricBatch.run(pending);
        pending.length = 0;
      };
      for (const event of chunk.events) {
        switch (event.type) {
          case 'metric': {
            let state = series.get(event.key);
            if (!state) {
              s.insertMetricKey.run(event.key);
              const keyId = s.metricKeyId.get(event.key) as number;
              state = { keyId, summary: summaryFromRow(s.summary.get(pk, keyId)) };
              series.set(event.key, state);
            }
            const step = event.step ?? null;
            const seq = state.summary ? state.summary.count : 0;
            const point = { value: event.value, step, ts: event.ts };
            if (state.summary) appendToSummary(state.summary, point);
            else state.summary = extendSummary(null, point);
            pending.push(pk, state.keyId, seq, step, event.ts, Number.isNaN(event.value) ? null : event.value);
            if (pending.length === METRIC_INSERT_BATCH * 6) flushBatch();
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
      for (let i = 0; i < pending.length; i += 6) s.insertMetric.run(pending.slice(i, i + 6));
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
    })
    .immediate();
}
