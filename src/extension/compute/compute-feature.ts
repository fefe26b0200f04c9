import * as vscode from 'vscode';
import { SlurmError } from '../../core/slurm/errors';
import { CommandArgs } from '../command-args';
import { registerCommand } from '../command-registry';
import { ActivityBadge } from '../queue/activity-badge';
import { moveQueuedRuns, queueFile } from '../queue/commands';
import { ComputeCodeLensProvider } from '../queue/compute-codelens';
import { QueueService } from '../queue/queue-service';
import { RefusedError } from '../refusal';
import type { Services } from '../services';
import { selectedRunIds, type ExperimentsNode, type ExperimentsTreeProvider } from '../sidebar/tree';
import { placementMarkdown, reportSlurmError, runFileOnSlurm, slurmRowNote } from '../slurm/commands';
import { SlurmService } from '../slurm/slurm-service';
import { compareSweepRuns, openSweepFile, runSweep, type SweepCommandDeps } from '../sweeps/commands';
import { SweepDiagnostics } from '../sweeps/diagnostics';
import { SweepGroups, sweepTreeItem } from '../sweeps/sweep-groups';
import { SweepNotifier } from '../sweeps/sweep-notifier';
import type { FolderService } from '../workspace/folder-service';

/** The queue, sweeps and Slurm in the editor, with what other features call. */
export interface ComputeFeature extends vscode.Disposable {
  /** Stops a run that is not a local process (a Slurm job: scancel); false for any other run. */
  stopRun(runId: string): Promise<boolean>;
  /** Stops the queue runners (runs already started keep going) and the Slurm monitors. */
  close(): Promise<void>;
}

/** One workspace folder's compute: its local queue, its Slurm monitor and its sweeps. */
interface FolderCompute {
  folder: FolderService;
  queue: QueueService;
  slurm: SlurmService;
  groups: SweepGroups;
  disposables: vscode.Disposable[];
}

/**
 * Registers the local queue (one runner per workspace folder), sweeps (commands, diagnostics of
 * sweep files, sweep groups in the Experiments view) and Slurm runs (submission, one monitor per
 * folder, cancel). Commands act on the folder of the script, sweep file or run they are given.
 */
export function registerComputeFeature(
  services: Services,
  tree: ExperimentsTreeProvider,
  view: vscode.TreeView<ExperimentsNode>,
): ComputeFeature {
  const { log, settings, folders } = services;
  const cliPath = vscode.Uri.joinPath(services.extensionUri, 'dist', 'cli.js').fsPath;
  const diagnostics = new SweepDiagnostics();
  const byRoot = new Map<string, FolderCompute>();

  const start = (folder: FolderService): FolderCompute => {
    const queue = new QueueService(folder.root, cliPath, settings, log);
    const slurm = new SlurmService(folder.root, log);
    // Jobs are followed once there are runs, and (squeue, sacct) only in a trusted workspace.
    const followSlurm = (): void => {
      if (folder.hasRuns())
        void slurm.start().catch((error: unknown) => log.warn(`Slurm: ${(error as Error).message}`));
    };
    const groups = new SweepGroups(folder);
    const compute: FolderCompute = {
      folder,
      queue,
      slurm,
      groups,
      disposables: [
        queue,
        slurm,
        new SweepNotifier(folder, groups, () => settings.notifyRunEnded, log),
        folder.onDidChangeRuns((change) => {
          queue.startIfWorkspaceHasRuns();
          if (change.kind === 'updated') void slurm.noticeRuns(change.runIds);
        }),
        vscode.workspace.onDidGrantWorkspaceTrust(followSlurm),
        queue.onDidChange(() => tree.scheduleRefresh()),
        slurm.onDidChange(() => tree.scheduleRefresh()),
      ],
    };
    queue.startIfWorkspaceHasRuns();
    followSlurm();
    return compute;
  };
  const stop = async (compute: FolderCompute): Promise<void> => {
    await compute.queue.close();
    for (const d of compute.disposables.splice(0).reverse()) d.dispose();
  };
  const sync = (): void => {
    const open = new Set(folders.all().map((f) => f.root));
    for (const [root, compute] of byRoot) {
      if (!open.has(root)) {
        byRoot.delete(root);
        void stop(compute);
      }
    }
    for (const folder of folders.all()) if (!byRoot.has(folder.root)) byRoot.set(folder.root, start(folder));
  };
  sync();

  const ofFolder = (folder: vscode.WorkspaceFolder): FolderCompute => {
    const compute = byRoot.get(folder.uri.fsPath);
    if (!compute) throw new RefusedError('outside-workspace', `${folder.name} is not an open workspace folder.`);
    return compute;
  };
  const ofRun = (runId: string): FolderCompute => {
    const compute = byRoot.get(folders.requireRun(runId).root);
    if (!compute) throw new RefusedError('unknown-run', `Run ${runId} is not in an open workspace folder.`);
    return compute;
  };
  const sweepDeps = (compute: FolderCompute): SweepCommandDeps => ({
    index: compute.folder,
    queue: compute.queue,
    slurm: compute.slurm,
    diagnostics,
    groups: compute.groups,
    cliPath,
    settings,
  });
  /** The folder of the sweep file or script given, else of the active editor, else the one picked. */
  const forTarget = async (target: unknown, title: string): Promise<FolderCompute | undefined> => {
    const uri = CommandArgs.file([target]) ?? vscode.window.activeTextEditor?.document.uri;
    const folder = (uri && folders.forUri(uri)) || (await folders.pick(title));
    return folder ? byRoot.get(folder.root) : undefined;
  };

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

  const computeOfRun = (runId: string): FolderCompute | undefined => {
    const folder = folders.forRun(runId);
    return folder ? byRoot.get(folder.root) : undefined;
  };
  const queueNote = (compute: FolderCompute, runId: string): string | undefined => {
    const item = compute.queue.snapshot()?.items.find((i) => i.id === runId);
    return item?.position !== null && item?.position !== undefined ? `#${item.position + 1} in queue` : undefined;
  };
  tree.extend({
    sweepsOf: async (root, experiment) => (await byRoot.get(root)?.groups.sweepsOf(experiment)) ?? [],
    sweepItem: sweepTreeItem,
    runNote: (runId) => {
      const compute = computeOfRun(runId);
      return compute ? (slurmRowNote(compute.slurm, runId) ?? queueNote(compute, runId)) : undefined;
    },
    placement: async (runId) => {
      const compute = computeOfRun(runId);
      return compute ? placementMarkdown(compute.slurm, runId) : '';
    },
  });

  const setTargetsContext = () =>
    void vscode.commands.executeCommand(
      'setContext',
      'trackside.hasComputeTargets',
      settings.computeTargetNames().length > 0,
    );
  setTargetsContext();

  const cancel = async (runId: string): Promise<void> => {
    const compute = ofRun(runId);
    if ((await compute.slurm.jobOf(runId))?.jobId) {
      await compute.slurm.cancel(runId);
      return;
    }
    await compute.queue.cancel(runId);
  };

  const disposables: vscode.Disposable[] = [
    diagnostics,
    new ActivityBadge(folders, view, log),
    command('trackside.queueCurrentFile', (target, runCommand) =>
      queueFile(settings, (folder) => ofFolder(folder).queue, target, runCommand),
    ),
    command('trackside.cancelRun', async (...args) => {
      for (const id of selectedRunIds(args, view)) await cancel(id);
    }),
    command('trackside.moveRunUp', (...args) => moveRuns(selectedRunIds(args, view), -1)),
    command('trackside.moveRunDown', (...args) => moveRuns(selectedRunIds(args, view), 1)),
    command('trackside.runOnSlurm', (target) =>
      runFileOnSlurm(settings, (folder) => ofFolder(folder).slurm, cliPath, target),
    ),
    command('trackside.runSweep', async (target) => {
      const compute = await forTarget(target, 'Run Sweep');
      if (compute) await runSweep(sweepDeps(compute), target);
    }),
    command('trackside.compareSweepRuns', (node) => {
      const root = (node as { root?: unknown } | undefined)?.root;
      const given = typeof root === 'string' ? byRoot.get(root) : undefined;
      return compareSweepRuns(given ? [given.groups] : [...byRoot.values()].map((c) => c.groups), node);
    }),
    command('trackside.openSweepFile', (node) => openSweepFile(node)),
    vscode.languages.registerCodeLensProvider(
      [{ language: 'python', scheme: 'file' }],
      new ComputeCodeLensProvider(settings),
    ),
    settings.onDidChange(['compute'], setTargetsContext),
    folders.onDidChangeFolders(sync),
  ];

  /** Move Up / Move Down, each run within its own folder's queue. */
  async function moveRuns(runIds: string[], delta: -1 | 1): Promise<void> {
    const byQueue = new Map<QueueService, string[]>();
    for (const id of runIds) {
      const { queue } = ofRun(id);
      byQueue.set(queue, [...(byQueue.get(queue) ?? []), id]);
    }
    for (const [queue, ids] of byQueue) await moveQueuedRuns(queue, ids, delta);
  }

  const disposeAll = (): void => {
    for (const d of disposables.splice(0).reverse()) d.dispose();
  };
  return {
    stopRun: async (runId) => {
      const compute = computeOfRun(runId);
      if (!compute || !(await compute.slurm.jobOf(runId))?.jobId) return false;
      await compute.slurm.cancel(runId);
      return true;
    },
    close: async () => {
      await Promise.allSettled([...byRoot.values()].map(stop));
      byRoot.clear();
      disposeAll();
    },
    dispose: disposeAll,
  };
}
