import * as vscode from 'vscode';
import { queryRuns } from '../core/store/runs';
import { registerCommand } from './command-registry';
import { registerCompareCommands } from './compare/commands';
import { registerComputeFeature } from './compute/compute-feature';
import { registerDeployFeature } from './deploy/commands';
import { checkSqliteRuntime } from './index/sqlite-runtime';
import { MetricDecorations } from './inline/metric-decorations';
import { RunCodeLensProvider } from './inline/run-codelens';
import { registerLineageFeature } from './lineage/commands';
import { registerModelsFeature } from './models/commands';
import { RefusedError } from './refusal';
import { registerRegistryFeature } from './registry/commands';
import { RunCommands } from './runs/commands';
import { registerRunActions } from './runs/run-commands';
import type { Services } from './services';
import { Settings } from './settings';
import { registerExperimentsViewCommands } from './sidebar/commands';
import { RunListSettings } from './sidebar/list-settings';
import { ExperimentsTreeProvider, type ExperimentsNode } from './sidebar/tree';
import { RunStatusReporter } from './status/run-status';
import { Folders } from './workspace/folders';
import { registerPythonClient } from './runs/python-client';

/**
 * The composition root: builds every service once, hands each what it needs, and owns their
 * disposal. activate() only constructs and registers; each folder's index opens on first use.
 */
class Trackside implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly closables: { close(): Promise<void> }[] = [];
  readonly log: vscode.LogOutputChannel;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('Trackside', { log: true });
    this.disposables.push(this.log);
  }

  start(): void {
    const folders = new Folders(this.log);
    this.closables.push(folders);
    const services: Services = {
      extensionUri: this.context.extensionUri,
      log: this.log,
      folders,
      settings: new Settings(),
      secrets: this.context.secrets,
    };
    const runs = new RunCommands(services);
    const compare = registerCompareCommands(services);
    const models = registerModelsFeature(services);
    this.disposables.push(
      registerCommand('trackside.runCurrentFile', this.log, (uri?: vscode.Uri) => runs.runFile(uri)),
      registerCommand('trackside.runWithParameters', this.log, (uri?: vscode.Uri) => runs.runFileWithParams(uri)),
      registerCommand('trackside.showLatestRun', this.log, () => openLatestRun(services)),
      registerCommand('trackside.showLog', this.log, () => this.log.show()),
      compare.disposable,
      models,
      registerLineageFeature(services, models),
      registerDeployFeature(services),
      registerRegistryFeature(services),
      registerPythonClient(this.context, services),
    );

    const listSettings = new RunListSettings(this.context.workspaceState);
    const tree = new ExperimentsTreeProvider(folders, listSettings);
    const view = vscode.window.createTreeView<ExperimentsNode>('trackside.experiments', {
      treeDataProvider: tree,
      canSelectMany: true,
      showCollapseAll: true,
    });
    view.description = listSettings.describeFilter() || undefined;
    // Queue, sweeps and Slurm: one queue runner and one Slurm monitor per folder, sweep groups in
    // the Experiments view; Stop on a Slurm run goes through scancel.
    const compute = registerComputeFeature(services, tree, view);
    this.closables.push(compute);
    const primaryMetric = (experiment: string) => listSettings.primaryMetric(experiment);
    this.disposables.push(
      compute,
      tree,
      view,
      folders.onDidChangeRuns(() => tree.scheduleRefresh()),
      folders.onDidChangeFolders(() => tree.refresh()),
      view.onDidChangeSelection((e) =>
        compare.controller.setSelection(e.selection.flatMap((n) => (n.kind === 'run' ? [n.runId] : []))),
      ),
      compare.controller.onDidChangeSelection(async (ids) => {
        const node = ids[0] ? tree.runNode(ids[0]) : undefined;
        if (node && view.visible) await view.reveal(node, { select: true, focus: false });
      }),
      ...registerExperimentsViewCommands(services, { tree, view, listSettings }),
      ...registerRunActions(services, { tree, view, listSettings, runs, stopElsewhere: compute.stopRun }),
      vscode.languages.registerCodeLensProvider(
        [{ language: 'python', scheme: 'file' }],
        new RunCodeLensProvider(folders, primaryMetric),
      ),
      new MetricDecorations(folders, services.settings),
      new RunStatusReporter({ folders, settings: services.settings, primaryMetric, log: this.log }),
    );
    setImmediate(() => checkSqliteRuntime(this.log));
  }

  dispose(): void {
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }

  async close(): Promise<void> {
    this.dispose();
    await Promise.allSettled(this.closables.splice(0).map((c) => c.close()));
  }
}

/** "Show Latest Run Metrics": the run view of the newest run of any folder. */
async function openLatestRun(services: Services): Promise<void> {
  let newest: { id: string; createdAt: string } | undefined;
  for (const folder of services.folders.withRuns()) {
    const [run] = queryRuns(await folder.store(), { limit: 1 }).rows;
    if (run && (!newest || run.createdAt > newest.createdAt)) newest = run;
  }
  if (!newest) {
    throw new RefusedError('no-runs', 'No runs in this workspace yet: run a training script with tracking first.');
  }
  await vscode.commands.executeCommand('trackside.openRun', newest.id);
}

let trackside: Trackside | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  trackside = new Trackside(context);
  try {
    trackside.start();
  } catch (error) {
    trackside.log.error('Activation failed', error);
    void vscode.window.showErrorMessage(
      `Trackside failed to start: ${(error as Error).message}. Run "Trackside: Show Log" for details.`,
    );
    throw error;
  }
  trackside.log.info(`Activated in ${(performance.now() - started).toFixed(1)} ms`);
}

export async function deactivate(): Promise<void> {
  await trackside?.close();
  trackside = undefined;
}
