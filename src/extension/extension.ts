import * as vscode from 'vscode';
import { registerCommand } from './command-registry';
import { registerCompareCommands } from './compare/commands';
import { registerDeployFeature } from './deploy/commands';
import { IndexService } from './index/index-service';
import { checkSqliteRuntime } from './index/sqlite-runtime';
import { registerLineageFeature } from './lineage/commands';
import type { IndexDeps } from './lineage/deps';
import { MetricDecorations } from './inline/metric-decorations';
import { RunCodeLensProvider } from './inline/run-codelens';
import { LatestRunPanel } from './metrics/panel';
import { registerModelsFeature } from './models/commands';
import { registerRegistryFeature } from './registry/commands';
import { RunCommands } from './runs/commands';
import { registerSidebarCommands } from './sidebar/commands';
import { RunListSettings } from './sidebar/list-settings';
import { ExperimentsTreeProvider, type ExperimentsNode } from './sidebar/tree';
import { RunStatusReporter } from './status/run-status';
import { registerComputeFeature } from './sweeps/compute-feature';

/** Services with an async shutdown (watchers, the index); awaited in deactivate(). */
interface AsyncClosable {
  close(): Promise<void>;
}

function setting<T>(key: string, fallback: T): T {
  return vscode.workspace.getConfiguration('trackside').get<T>(key, fallback);
}

/**
 * The composition root: builds every service once, hands each what it needs, and owns their
 * disposal. activate() only constructs and registers; the index opens on first use.
 */
class Trackside implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly closables: AsyncClosable[] = [];
  readonly log: vscode.LogOutputChannel;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('Trackside', { log: true });
    this.disposables.push(this.log);
  }

  start(): void {
    const { extensionUri } = this.context;
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const index = root ? new IndexService(root, this.log) : undefined;
    if (index) this.closables.push(index);
    const runs = new RunCommands(extensionUri, () => index);
    this.disposables.push(
      registerCommand('trackside.runCurrentFile', this.log, (uri?: vscode.Uri) => runs.runFile(uri)),
      registerCommand('trackside.runWithParameters', this.log, (uri?: vscode.Uri) => runs.runFileWithParams(uri)),
      registerCommand('trackside.showLatestRun', this.log, () => {
        LatestRunPanel.show(extensionUri, root, this.log);
      }),
      registerCommand('trackside.showLog', this.log, () => this.log.show()),
      { dispose: () => LatestRunPanel.disposeCurrent() },
    );
    const compare = registerCompareCommands({
      extensionUri,
      log: this.log,
      workspaceRoot: () => root,
      index: async () => {
        if (!index) throw new Error('Open a folder to see its runs.');
        return index.store();
      },
      onRunsChanged: (listener) => {
        const subscription = index?.onDidChange(listener);
        return () => subscription?.dispose();
      },
    });
    this.disposables.push(compare.disposable);
    // Models view and lineage (issue 6): both read the shared index.
    const indexDeps: IndexDeps = {
      extensionUri,
      log: this.log,
      workspaceRoot: () => root,
      index: async () => {
        if (!index) throw new Error('Open a folder to see its runs.');
        return index.store();
      },
      onIndexChanged: (listener) => {
        const subscription = index?.onDidChange(() => listener());
        return () => subscription?.dispose();
      },
    };
    const models = registerModelsFeature(indexDeps);
    this.disposables.push(models, registerLineageFeature({ ...indexDeps, models }));
    // ── Deployments (issue 8): "Deploy…" on a pushed version, the Deployments view and its actions
    // (test request, logs, roll back, undeploy); targets come from the trackside.targets setting. ──
    this.disposables.push(registerDeployFeature(indexDeps));
    // ── end of deployments ──
    // ── Registries and pushes (issue 7): "Push…" on a model version, "Add Registry…"; credentials
    // live only in SecretStorage. ──
    this.disposables.push(registerRegistryFeature({ ...indexDeps, secrets: () => this.context.secrets }));
    // ── end of registries and pushes ──
    if (index) this.startWorkspaceFeatures(index, runs, compare.controller);
    setImmediate(() => checkSqliteRuntime(this.log));
  }

  private startWorkspaceFeatures(
    index: IndexService,
    runs: RunCommands,
    compare: ReturnType<typeof registerCompareCommands>['controller'],
  ): void {
    const settings = new RunListSettings(this.context.workspaceState);
    const tree = new ExperimentsTreeProvider(index, settings);
    const view = vscode.window.createTreeView<ExperimentsNode>('trackside.experiments', {
      treeDataProvider: tree,
      canSelectMany: true,
      showCollapseAll: true,
    });
    view.description = settings.describeFilter() || undefined;
    // ── Queue, sweeps and Slurm (issue 9): one queue runner and one Slurm monitor per workspace,
    // sweep groups in the Experiments view; Stop on a Slurm run goes through scancel. ──
    const compute = registerComputeFeature({
      extensionUri: this.context.extensionUri,
      log: this.log,
      index,
      tree,
      view,
    });
    this.disposables.push(compute);
    this.closables.push(compute);
    // ── end of queue, sweeps and Slurm ──
    const primaryMetric = (experiment: string) => settings.primaryMetric(experiment);
    this.disposables.push(
      tree,
      view,
      index.onDidChange(() => tree.scheduleRefresh()),
      view.onDidChangeSelection((e) =>
        compare.setSelection(e.selection.flatMap((n) => (n.kind === 'run' ? [n.runId] : []))),
      ),
      compare.onDidChangeSelection(async (ids) => {
        const node = ids[0] ? tree.runNode(ids[0]) : undefined;
        if (node && view.visible) await view.reveal(node, { select: true, focus: false });
      }),
      ...registerSidebarCommands({ index, tree, view, settings, runs, log: this.log, stopElsewhere: compute.stopRun }),
      vscode.languages.registerCodeLensProvider(
        [{ language: 'python', scheme: 'file' }],
        new RunCodeLensProvider(index, primaryMetric),
      ),
      new MetricDecorations(index, () => setting('inlineCharts.enabled', true)),
      new RunStatusReporter({
        index,
        primaryMetric,
        notificationsEnabled: () => setting('notifications.runEnded', true),
        log: this.log,
      }),
    );
  }

  dispose(): void {
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }

  async close(): Promise<void> {
    this.dispose();
    await Promise.allSettled(this.closables.splice(0).map((c) => c.close()));
  }
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
