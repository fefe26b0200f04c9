import * as vscode from 'vscode';
import type { IndexStore } from '../../core/store/database';
import { queryRuns, type RunRow } from '../../core/store/runs';
import { RefusedError } from '../refusal';
import type { Services } from '../services';
import type { FolderService } from '../workspace/folder-service';

const PICK_LIMIT = 500;

export interface RunPickOptions {
  title: string;
  placeholder: string;
  many: boolean;
  /** Narrows the list (runs with a model, runs with a commit…); the folder's index is at hand. */
  filter?: (runs: RunRow[], store: IndexStore) => RunRow[];
}

function runPickItem(run: RunRow): vscode.QuickPickItem & { runId: string } {
  return {
    runId: run.id,
    label: run.name,
    description: `${run.experiment} · ${run.status}`,
    detail: `${new Date(run.createdAt).toLocaleString()} · ${run.id}`,
  };
}

type RunPickItem = ReturnType<typeof runPickItem>;

/**
 * A quick pick of a folder's recent runs (the folder asked first in a multi-root workspace) that
 * stays current while it is open: a run that appears or changes status meanwhile shows up without
 * closing the pick, and what the user has already ticked stays ticked. Undefined when cancelled.
 */
export async function pickRuns(
  services: Services,
  options: RunPickOptions,
): Promise<{ folder: FolderService; runIds: string[] } | undefined> {
  const folder = await services.folders.pick(options.title, (f) => f.hasRuns());
  if (!folder) return undefined;
  const read = async () => {
    const store = await folder.store();
    const rows = queryRuns(store, { limit: PICK_LIMIT }).rows;
    return options.filter ? options.filter(rows, store) : rows;
  };
  const first = await read();
  if (first.length === 0) {
    throw new RefusedError(
      'no-runs',
      `No matching runs in ${folder.name} yet: run a training script with tracking first.`,
    );
  }
  const quickPick = vscode.window.createQuickPick<RunPickItem>();
  quickPick.title = options.title;
  quickPick.placeholder = options.placeholder;
  quickPick.canSelectMany = options.many;
  quickPick.matchOnDescription = true;
  quickPick.matchOnDetail = true;
  quickPick.keepScrollPosition = true;
  quickPick.items = first.map(runPickItem);
  const signature = (rows: readonly RunRow[]) => rows.map((r) => `${r.id} ${r.status} ${r.name}`).join('\n');
  let shown = signature(first);
  let closed = false;
  const refresh = async (): Promise<void> => {
    const rows = await read();
    // Metric points of running runs change nothing in the list.
    if (closed || signature(rows) === shown) return;
    shown = signature(rows);
    const ticked = new Set(quickPick.selectedItems.map((item) => item.runId));
    const active = new Set(quickPick.activeItems.map((item) => item.runId));
    const items = rows.map(runPickItem);
    quickPick.items = items;
    if (options.many) quickPick.selectedItems = items.filter((item) => ticked.has(item.runId));
    quickPick.activeItems = items.filter((item) => active.has(item.runId));
  };
  const subscription = folder.onDidChangeRuns(() => {
    refresh().catch((error: unknown) => services.log.warn(`Run picker: ${String(error)}`));
  });
  const runIds = await new Promise<string[]>((resolve) => {
    quickPick.onDidAccept(() => {
      const picked = options.many ? quickPick.selectedItems : quickPick.activeItems.slice(0, 1);
      resolve(picked.map((item) => item.runId));
      quickPick.hide();
    });
    quickPick.onDidHide(() => {
      closed = true;
      subscription.dispose();
      resolve([]);
      quickPick.dispose();
    });
    quickPick.show();
  });
  return runIds.length > 0 ? { folder, runIds } : undefined;
}

/** One run: the one the arguments name (with its folder), else one the user picks. */
export async function runFromArgumentsOrPick(
  services: Services,
  runId: string | undefined,
  options: Omit<RunPickOptions, 'many'>,
): Promise<{ folder: FolderService; runId: string } | undefined> {
  if (runId) return { folder: services.folders.requireRun(runId), runId };
  const picked = await pickRuns(services, { ...options, many: false });
  return picked ? { folder: picked.folder, runId: picked.runIds[0]! } : undefined;
}
