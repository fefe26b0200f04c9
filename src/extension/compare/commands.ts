import * as vscode from 'vscode';
import { queryRuns, type RunRow } from '../../core/store/queries-runs';
import { registerCommand } from '../command-registry';
import { CompareController, type CompareDeps } from './controller';
import { COMPARE_VIEW_TYPE } from './panel';
import { CompareSerializer } from './serializer';
import { RefusedError } from '../refusal';

export const COMPARE_RUNS_COMMAND = 'trackside.compareRuns';
export const OPEN_RUN_COMMAND = 'trackside.openRun';

/**
 * Run ids from a command's arguments: a run id, a list of them, or tree items carrying `runId` or
 * `run.id` (a tree passes the clicked item and then the whole multi-selection).
 */
export function runIdsFromArguments(args: readonly unknown[]): string[] {
  const ids: string[] = [];
  const visit = (value: unknown): void => {
    if (typeof value === 'string' && value.length > 0) ids.push(value);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      if ('runId' in value && typeof value.runId === 'string') ids.push(value.runId);
      // The Experiments view's run nodes carry their index row.
      else if ('run' in value && value.run && typeof value.run === 'object' && 'id' in value.run) {
        if (typeof value.run.id === 'string') ids.push(value.run.id);
      }
    }
  };
  args.forEach(visit);
  return [...new Set(ids)];
}

const PICK_LIMIT = 500;

function runPickItem(run: RunRow): vscode.QuickPickItem & { runId: string } {
  return {
    runId: run.id,
    label: run.name,
    description: `${run.experiment} · ${run.status}`,
    detail: `${new Date(run.createdAt).toLocaleString()} · ${run.id}`,
  };
}

async function recentRuns(deps: CompareDeps): Promise<RunRow[]> {
  if (!deps.workspaceRoot()) {
    throw new RefusedError('no-workspace', 'Open a folder with training runs to compare them.');
  }
  const { rows } = queryRuns(await deps.index(), { limit: PICK_LIMIT });
  if (rows.length === 0) {
    throw new RefusedError('no-runs', 'No runs in this workspace yet: run a training script with tracking first.');
  }
  return rows;
}

type RunPickItem = ReturnType<typeof runPickItem>;

/**
 * A quick pick of the workspace's recent runs that stays current while it is open: a run that
 * appears (or changes status) meanwhile shows up without closing the pick, and what the user has
 * already ticked stays ticked.
 */
async function pickFromRuns(
  deps: CompareDeps,
  options: { title: string; placeholder: string; many: boolean },
): Promise<string[]> {
  const first = await recentRuns(deps);
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
    const rows = queryRuns(await deps.index(), { limit: PICK_LIMIT }).rows;
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
  const unsubscribe = deps.onRunsChanged(() => {
    refresh().catch((error: unknown) => deps.log.warn(`Run picker: ${String(error)}`));
  });
  return new Promise((resolve) => {
    quickPick.onDidAccept(() => {
      const picked = options.many ? quickPick.selectedItems : quickPick.activeItems.slice(0, 1);
      resolve(picked.map((item) => item.runId));
      quickPick.hide();
    });
    quickPick.onDidHide(() => {
      closed = true;
      unsubscribe();
      resolve([]);
      quickPick.dispose();
    });
    quickPick.show();
  });
}

const pickRuns = (deps: CompareDeps): Promise<string[]> =>
  pickFromRuns(deps, { title: 'Compare Runs', placeholder: 'Select the runs to compare', many: true });

const pickRun = async (deps: CompareDeps): Promise<string | undefined> =>
  (await pickFromRuns(deps, { title: 'Open Run', placeholder: 'Select a run', many: false }))[0];

/**
 * Registers "Compare Runs…" and "Open Run…" and the panel serializer. The returned controller lets
 * the Experiments view open the panel (`showRuns`, `openRun`) and follow its selection.
 */
export function registerCompareCommands(deps: CompareDeps): {
  controller: CompareController;
  disposable: vscode.Disposable;
} {
  const controller = new CompareController(deps);
  const disposable = vscode.Disposable.from(
    controller,
    registerCommand(COMPARE_RUNS_COMMAND, deps.log, async (...args: unknown[]) => {
      const given = runIdsFromArguments(args);
      const runIds = given.length > 0 ? given : await pickRuns(deps);
      if (runIds.length > 0) await controller.showRuns(runIds);
    }),
    registerCommand(OPEN_RUN_COMMAND, deps.log, async (...args: unknown[]) => {
      const runId = runIdsFromArguments(args)[0] ?? (await pickRun(deps));
      if (runId) await controller.openRun(runId);
    }),
    vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, new CompareSerializer(controller)),
  );
  return { controller, disposable };
}
