import { join } from 'node:path';
import type { RunStatusValue } from '../runs/protocol';
import { readRunStatus, runsRoot } from '../runs/reader';
import { readRunMetrics } from '../runs/run-metrics';
import { listSweepIds, readSweepRecord, type SweepRecord } from './sweep-record';
import type { TrialValue } from './trials';

export interface TrialProgress {
  index: number;
  params: Record<string, TrialValue>;
  runId: string | null;
  status: RunStatusValue | null;
  /** The trial's result: the last value it logged for the sweep's metric. */
  value: number | null;
  error: string | null;
}

/** A sweep's progress and best trial, as the Experiments view and `trackside sweep` show them. */
export interface SweepProgress {
  id: string;
  name: string;
  metric: { name: string; goal: 'min' | 'max' };
  total: number;
  done: number;
  running: number;
  /** Queued locally, or pending on Slurm. */
  queued: number;
  /** Failed or killed (or never submitted). */
  failed: number;
  /** The best trial so far among those that logged the metric (finished or still running). */
  best: TrialProgress | null;
  trials: TrialProgress[];
}

/**
 * Reads each trial's status and metric from its run folder. A trial's value is the last value of
 * the metric it logged (its final epoch), and the best is judged by the sweep's goal; NaN never wins.
 */
export async function readSweepProgress(workspaceRoot: string, record: SweepRecord): Promise<SweepProgress> {
  const metric = record.definition.metric;
  const trials = await Promise.all(
    record.trials.map(async (trial): Promise<TrialProgress> => {
      const base = { index: trial.index, params: trial.params, runId: trial.runId, error: trial.error };
      if (!trial.runId) return { ...base, status: null, value: null };
      const runDir = join(runsRoot(workspaceRoot), trial.runId);
      const status = (await readRunStatus(runDir).catch(() => null))?.status ?? null;
      let value: number | null = null;
      try {
        const points = (await readRunMetrics(runDir)).series.get(metric.name);
        const last = points?.[points.length - 1]?.value;
        value = last !== undefined && Number.isFinite(last) ? last : null;
      } catch {
        // run.json not readable yet: no value so far
      }
      return { ...base, status, value };
    }),
  );
  return summarizeSweep(record, trials);
}

/**
 * A sweep's counts and best trial from its trials' statuses and values (read from run folders or
 * from the index): the best is judged by the sweep's goal among trials with a value.
 */
export function summarizeSweep(record: SweepRecord, trials: TrialProgress[]): SweepProgress {
  const metric = record.definition.metric;
  const count = (...statuses: RunStatusValue[]): number =>
    trials.filter((t) => t.status !== null && statuses.includes(t.status)).length;
  let best: TrialProgress | null = null;
  for (const trial of trials) {
    if (trial.value === null) continue;
    if (!best || (metric.goal === 'min' ? trial.value < best.value! : trial.value > best.value!)) best = trial;
  }
  return {
    id: record.id,
    name: record.name,
    metric,
    total: trials.length,
    done: count('finished'),
    running: count('running'),
    queued: count('queued', 'pending'),
    failed: count('failed', 'killed') + trials.filter((t) => t.status === null && t.error !== null).length,
    best,
    trials,
  };
}

/** Every sweep of a workspace with its progress, oldest first (a damaged record is skipped). */
export async function listSweepProgress(workspaceRoot: string): Promise<SweepProgress[]> {
  const all: SweepProgress[] = [];
  for (const id of await listSweepIds(workspaceRoot)) {
    try {
      all.push(await readSweepProgress(workspaceRoot, await readSweepRecord(workspaceRoot, id)));
    } catch {
      // a record being written or edited by hand: shown again once it reads
    }
  }
  return all;
}
