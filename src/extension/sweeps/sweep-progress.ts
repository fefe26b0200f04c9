import { formatNumber } from '../../core/format/numbers';
import type { IndexStore } from '../../core/store/database';
import { summariesForRuns, type RunRow } from '../../core/store/runs';
import { summarizeSweep, type SweepProgress, type TrialProgress } from '../../core/sweeps/progress';
import type { SweepRecord } from '../../core/sweeps/sweep-record';

/** The same counts and best trial as the core's readSweepProgress, from index rows instead of run folders. */
export function progressFromIndex(
  store: IndexStore,
  record: SweepRecord,
  rows: ReadonlyMap<string, RunRow>,
): SweepProgress {
  const metric = record.definition.metric;
  const ids = record.trials.flatMap((t) => (t.runId && rows.has(t.runId) ? [t.runId] : []));
  const values = new Map<string, number>();
  for (const s of summariesForRuns(store, ids)) {
    if (s.key === metric.name && s.last !== null && Number.isFinite(s.last)) values.set(s.runId, s.last);
  }
  const trials: TrialProgress[] = record.trials.map((t) => ({
    index: t.index,
    params: t.params,
    runId: t.runId,
    status: t.runId ? (rows.get(t.runId)?.status ?? null) : null,
    value: t.runId ? (values.get(t.runId) ?? null) : null,
    error: t.error,
  }));
  return summarizeSweep(record, trials);
}

/** "2/4 done, 1 running, 1 queued · best val_acc 0.95 (trial 3)" */
export function describeProgress(p: SweepProgress): string {
  const parts = [`${p.done}/${p.total} done`];
  if (p.running > 0) parts.push(`${p.running} running`);
  if (p.queued > 0) parts.push(`${p.queued} queued`);
  if (p.failed > 0) parts.push(`${p.failed} failed`);
  const best = p.best ? ` · best ${p.metric.name} ${formatNumber(p.best.value!)} (trial ${p.best.index + 1})` : '';
  return `${parts.join(', ')}${best}`;
}
