import { join } from 'node:path';
import * as vscode from 'vscode';
import { materializeRunChanges } from '../../core/git/run-code';
import { metricDirection } from '../../core/metrics/direction';
import { defaultPrimaryMetric } from '../../core/metrics/primary-metric';
import { RunFile } from '../../core/runs/protocol';
import { getRunDetail } from '../../core/store/run-detail';
import { metricKeysOfExperiment, queryRuns } from '../../core/store/runs';
import { registerCommand } from '../command-registry';
import { RefusedError } from '../refusal';
import type { Services } from '../services';
import type { RunListSettings } from '../sidebar/list-settings';
import { selectedRunIds, type ExperimentsNode, type ExperimentsTreeProvider } from '../sidebar/tree';
import { requireTrust } from '../trust';
import type { Folders } from '../workspace/folders';
import type { RunCommands } from './commands';
import { RunActions } from './run-actions';

export interface RunActionsContext {
  tree: ExperimentsTreeProvider;
  view: vscode.TreeView<ExperimentsNode>;
  listSettings: RunListSettings;
  runs: RunCommands;
  /** Stops a run that is not a local process (a Slurm job); false for a local run. */
  stopElsewhere?: (runId: string) => Promise<boolean>;
}

/**
 * The actions on runs (the Experiments view's context menu, notifications, CodeLens, the Compare
 * panel): output, stop, rerun, rename, tag, note, copy id, delete, code diff, compare with best.
 * Each acts on the run folder (the truth), in whichever workspace folder holds the run.
 */
export function registerRunActions(services: Services, context: RunActionsContext): vscode.Disposable[] {
  const { folders, log } = services;
  const { tree, view, listSettings } = context;
  const actions = new RunActions(folders, context.stopElsewhere);
  const selected = (args: unknown[]) => selectedRunIds(args, view);
  const one = (args: unknown[]) => selected(args)[0]!;
  const nameOf = async (runId: string) => getRunDetail(await folders.requireRun(runId).store(), runId)?.name ?? runId;
  const command = (id: string, handler: (...args: unknown[]) => unknown) =>
    registerCommand(id, log, handler as (...args: never[]) => unknown);

  return [
    command('trackside.showOutput', (...args) => actions.showOutput(one(args))),
    command('trackside.stopRun', (...args) => stopAll(actions, selected(args), false)),
    command('trackside.forceStopRun', (...args) => stopAll(actions, selected(args), true)),
    command('trackside.rerun', (...args) => context.runs.rerun(one(args), false)),
    command('trackside.rerunWithParams', (...args) => context.runs.rerun(one(args), true)),
    command('trackside.renameRun', async (...args) => {
      const id = one(args);
      await actions.rename(id, await nameOf(id));
    }),
    command('trackside.tagRun', (...args) => actions.tag(one(args))),
    command('trackside.addNote', (...args) => actions.addNote(one(args))),
    command('trackside.copyRunId', async (...args) => {
      const ids = selected(args);
      await vscode.env.clipboard.writeText(ids.join('\n'));
      vscode.window.setStatusBarMessage(`Copied ${ids.length === 1 ? ids[0] : `${ids.length} run ids`}`, 3000);
    }),
    command('trackside.deleteRun', async (...args) => {
      const ids = selected(args);
      const names = await Promise.all(ids.map(nameOf));
      if (await actions.delete(ids, names)) tree.refresh();
    }),
    command('trackside.showCodeDiff', (...args) => showCodeDiff(folders, actions, one(args))),
    command('trackside.compareWithBest', async (...args) => {
      const id = one(args);
      const best = await bestRunLike(folders, listSettings, id);
      await vscode.commands.executeCommand('trackside.compareRuns', best && best !== id ? [id, best] : [id]);
    }),
  ];
}

/**
 * Stops every selected run that is running; the others (a finished run also in the selection) are
 * left alone. Only when none could be stopped is that an error, with the first reason.
 */
async function stopAll(actions: RunActions, runIds: string[], force: boolean): Promise<void> {
  let stopped = 0;
  let firstError: unknown;
  for (const id of runIds) {
    try {
      await actions.stop(id, force);
      stopped++;
    } catch (error) {
      firstError ??= error;
    }
  }
  if (stopped === 0 && firstError) throw firstError;
}

async function showCodeDiff(folders: Folders, actions: RunActions, runId: string): Promise<void> {
  // Git runs hooks and fsmonitor commands from the repository's config: not in Restricted Mode.
  requireTrust();
  const detail = getRunDetail(await folders.requireRun(runId).store(), runId);
  if (!detail) throw new RefusedError('missing-file', 'This run is not in the index any more.');
  const code = await materializeRunChanges(detail.cwd, detail.gitCommit, join(actions.runDir(runId), RunFile.patch));
  const short = code.commit.slice(0, 8);
  if (code.files.length === 0) {
    void vscode.window.showInformationMessage(
      `Run ${detail.name} had no uncommitted changes: its code is commit ${short}.`,
    );
    return;
  }
  const empty = vscode.Uri.parse('untitled:empty');
  const resources = code.files.map((f) => {
    const workspaceFile = vscode.Uri.file(join(code.repoRoot, f.path));
    return [
      workspaceFile,
      f.atCommit ? vscode.Uri.file(f.atCommit) : empty,
      f.asRun ? vscode.Uri.file(f.asRun) : empty,
    ] as const;
  });
  const title = `${detail.name}: uncommitted changes on ${short}`;
  if (resources.length === 1) {
    const [, left, right] = resources[0]!;
    await vscode.commands.executeCommand('vscode.diff', left, right, `${title} (${code.files[0]!.path})`);
    return;
  }
  await vscode.commands.executeCommand('vscode.changes', title, resources);
}

/** The best finished run of the same experiment by its primary metric (lowest for loss-like names). */
async function bestRunLike(folders: Folders, settings: RunListSettings, runId: string): Promise<string | undefined> {
  const store = await folders.requireRun(runId).store();
  const run = getRunDetail(store, runId);
  if (!run) return undefined;
  const key =
    settings.primaryMetric(run.experiment) ?? defaultPrimaryMetric(metricKeysOfExperiment(store, run.experiment));
  if (!key) return undefined;
  const { rows } = queryRuns(store, {
    experiment: run.experiment,
    status: ['finished'],
    sort: { by: 'metric', key },
    direction: metricDirection(key) === 'min' ? 'asc' : 'desc',
    limit: 1,
  });
  return rows[0]?.id;
}
