import { resolve } from 'node:path';
import { basename } from 'node:path';
import type { IndexStore } from '../store/database';
import { getRunDetail } from '../store/run-detail';
import { queryRuns, summariesForRuns, type RunRow, type SummaryEntry } from '../store/runs';

export interface ScriptRun {
  run: RunRow;
  summaries: Map<string, SummaryEntry>;
}

/**
 * The newest runs of one script file (matched by the script's absolute path, so two `train.py` in
 * different folders stay apart), newest first.
 */
export function recentRunsOfScript(store: IndexStore, scriptPath: string, limit: number): ScriptRun[] {
  const { rows } = queryRuns(store, { text: basename(scriptPath), limit: Math.max(50, limit * 4) });
  const matching: RunRow[] = [];
  for (const row of rows) {
    if (matching.length >= limit) break;
    const detail = getRunDetail(store, row.id);
    if (detail?.script && resolve(detail.cwd, detail.script) === scriptPath) matching.push(row);
  }
  const summaries = summariesForRuns(
    store,
    matching.map((r) => r.id),
  );
  return matching.map((run) => ({
    run,
    summaries: new Map(summaries.filter((s) => s.runId === run.id).map((s) => [s.key, s])),
  }));
}
