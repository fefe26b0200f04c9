import * as vscode from 'vscode';
import { queryRuns, type RunRow } from '../../core/store/queries-runs';
import { type IndexDeps } from './deps';
import { RefusedError } from '../refusal';

const PICK_LIMIT = 500;

/**
 * A run id from a command's arguments: a run id string, or a tree item carrying `runId` or
 * `run.id` (the Experiments view passes its nodes).
 */
export function runIdFromArguments(args: readonly unknown[]): string | undefined {
  for (const value of args) {
    if (typeof value === 'string' && value.length > 0) return value;
    if (value && typeof value === 'object') {
      if ('runId' in value && typeof value.runId === 'string') return value.runId;
      if ('run' in value && value.run && typeof value.run === 'object' && 'id' in value.run) {
        const id = (value.run as { id: unknown }).id;
        if (typeof id === 'string') return id;
      }
    }
  }
  return undefined;
}

/** Asks for a run among the newest ones; `filter` narrows the list (runs with a model, say). */
export async function pickRun(
  deps: IndexDeps,
  title: string,
  filter: (runs: RunRow[]) => RunRow[] = (runs) => runs,
): Promise<string | undefined> {
  const { rows } = queryRuns(await deps.index(), { limit: PICK_LIMIT });
  const runs = filter(rows);
  if (runs.length === 0) {
    throw new RefusedError(
      'no-runs',
      'No matching runs in this workspace yet: run a training script with tracking first.',
    );
  }
  const pick = await vscode.window.showQuickPick(
    runs.map((run) => ({
      runId: run.id,
      label: run.name,
      description: `${run.experiment} · ${run.status}`,
      detail: `${new Date(run.createdAt).toLocaleString()} · ${run.id}`,
    })),
    { title, placeHolder: 'Select a run', matchOnDescription: true, matchOnDetail: true },
  );
  return pick?.runId;
}
