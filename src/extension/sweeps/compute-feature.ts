import * as vscode from 'vscode';
import { SlurmError } from '../../core/slurm/errors';
import { registerCommand } from '../command-registry';
import type { IndexService } from '../index/index-service';
import { ActivityBadge } from '../queue/activity-badge';
import { moveQueuedRuns, queueFile, runIdsFrom } from '../queue/commands';
import { ComputeCodeLensProvider } from '../queue/compute-codelens';
import { QueueService } from '../queue/queue-service';

import type { ExperimentsNode, ExperimentsTreeProvider } from '../sidebar/tree';
import { placementMarkdown, reportSlurmError, runFileOnSlurm, slurmRowNote } from '../slurm/commands';
import { computeTargetNames } from '../slurm/compute-settings';
import { SlurmService } from '../slurm/slurm-service';
import { compareSweepRuns, openSweepFile, runSweep } from './commands';
import { SweepDiagnostics } from './diagnostics';
import { SweepGroups, sweepTreeItem } from './sweep-groups';
import { SweepNotifier } from './sweep-notifier';

export interface ComputeFeatureDeps {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  index: IndexService;
  tree: ExperimentsTreeProvider;
  view: vscode.TreeView<ExperimentsNode>;
}

/** The queue, sweeps and Slurm in the editor, with what other features call. */
export interface ComputeFeature extends vscode.Disposable {
  /** Stops a run that is not a local process (a Slurm job: scancel); false for any other run. */
  stopRun(runId: string): Promise<boolean>;
  /** Stops the queue runner (runs already started keep going) and the Slurm monitor. */
  close(): Promise<void>;
}

/**
 * Registers the local queue (one runner per workspace), sweeps (commands, diagnostics of sweep
 * files, sweep groups in the Experiments view) and Slurm runs (submission, one monitor, cancel).
 */
export function registerComputeFeature(deps: ComputeFeatureDeps): ComputeFeature {
  const { log, index, tree, view } = deps;
  const root = index.workspaceRoot;
  const cliPath = vscode.Uri.joinPath(deps.extensionUri, 'dist', 'cli.js').fsPath;
  const queue = new QueueService(root, cliPath, log);
  const slurm = new SlurmService(root, log);
  const groups = new SweepGroups(index);
  const diagnostics = new SweepDiagnostics();
  const sweepDeps = { index, queue, slurm, diagnostics, groups, cliPath };

  /** Slurm failures are shown with the scheduler's words; the rest as the command registry does. */
  const command = (id: string, handler: (...args: unknown[]) => unknown) =>
    registerCommand(id, log, async (...args: never[]) => {
      try {
        await handler(...(args as unknown[]));
      } catch (error) {
        if (!(error instanceof SlurmError)) throw error;
        log.warn(`${id}: ${error.message}`);
        await reportSlurmError(error);
      }
    });

  const queueNote = (runId: string): string | undefined => {
    const item = queue.snapshot()?.items.find((i) => i.id === runId);
    return item?.position !== null && item?.position !== undefined ? `#${item.position + 1} in queue` : undefined;
  };
  tree.extend({
    sweepsOf: (experiment) => groups.sweepsOf(experiment),
    sweepItem: sweepTreeItem,
    runNote: (runId) => slurmRowNote(slurm, runId) ?? queueNote(runId),
    placement: (runId) => placementMarkdown(slurm, runId),
  });

  const setTargetsContext = () =>
    void vscode.commands.executeCommand('setContext', 'trackside.hasComputeTargets', computeTargetNames().length > 0);
  setTargetsContext();

  const cancel = async (runId: string): Promise<void> => {
    if ((await slurm.jobOf(runId))?.jobId) {
      await slurm.cancel(runId);
      return;
    }
    await queue.cancel(runId);
  };

  const disposables: vscode.Disposable[] = [
    queue,
    slurm,
    diagnostics,
    new ActivityBadge(index, view, log),
    new SweepNotifier(
      index,
      groups,
      () => vscode.workspace.getConfiguration('trackside').get('notifications.runEnded', true),
      log,
    ),
    command('trackside.queueCurrentFile', (target, runCommand) => queueFile(queue, target, runCommand)),
    command('trackside.cancelRun', async (...args) => {
      for (const id of runIdsFrom(args, view)) await cancel(id);
    }),
    command('trackside.moveRunUp', (...args) => moveQueuedRuns(queue, runIdsFrom(args, view), -1)),
    command('trackside.moveRunDown', (...args) => moveQueuedRuns(queue, runIdsFrom(args, view), 1)),
    command('trackside.runOnSlurm', (target) => runFileOnSlurm(slurm, cliPath, target)),
    command('trackside.runSweep', (target) => runSweep(sweepDeps, target)),
    command('trackside.compareSweepRuns', (node) => compareSweepRuns(groups, node)),
    command('trackside.openSweepFile', (node) => openSweepFile(node)),
    vscode.languages.registerCodeLensProvider([{ language: 'python', scheme: 'file' }], new ComputeCodeLensProvider()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('trackside.compute')) setTargetsContext();
    }),
    index.onDidChange((change) => {
      queue.startIfWorkspaceHasRuns();
      if (change.kind === 'updated') void slurm.noticeRuns(change.runIds);
    }),
    queue.onDidChange(() => tree.scheduleRefresh()),
    slurm.onDidChange(() => tree.scheduleRefresh()),
  ];
  queue.startIfWorkspaceHasRuns();
  if (index.hasRuns()) {
    void slurm.start().catch((error: unknown) => log.warn(`Slurm: ${(error as Error).message}`));
  }

  return {
    stopRun: async (runId) => {
      if (!(await slurm.jobOf(runId))?.jobId) return false;
      await slurm.cancel(runId);
      return true;
    },
    close: async () => {
      await queue.close();
      for (const d of disposables.splice(0).reverse()) d.dispose();
    },
    dispose: () => {
      for (const d of disposables.splice(0).reverse()) d.dispose();
    },
  };
}
