import { writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { DeploymentStore } from '../../core/deploy/record-store';
import { dataFreshness } from '../../core/lineage/freshness';
import type { DataNode } from '../../core/lineage/graph';
import { loadLineageGraph } from '../../core/lineage/load-graph';
import {
  LineageCommandSchema,
  type LineageCommand,
  type LineageNodeView,
  type LineageNotification,
} from '../../protocol/lineage';
import type { Services } from '../services';
import { PanelHost } from '../webview/panel-host';
import type { FolderService } from '../workspace/folder-service';
import type { ModelsFacade } from '../models/commands';

export const LINEAGE_VIEW_TYPE = 'trackside.lineage';
const OPEN_RUN_COMMAND = 'trackside.openRun';

export interface LineageFocus {
  /** Node ids the view is about (see nodeId in core/lineage/graph). */
  nodeIds: string[];
  title: string;
}

/**
 * The Lineage panel: the graph around one or more nodes, laid out and drawn by the webview. The host
 * loads the graph from the index, checks which data files went stale, and answers clicks (open the
 * run, reveal the file, select the model version). One panel, re-targeted when asked again.
 */
export class LineagePanel implements vscode.Disposable {
  private static current: LineagePanel | undefined;
  private readonly host: PanelHost<LineageCommand, LineageNotification>;
  private refreshTimer: NodeJS.Timeout | undefined;

  /** Shows the lineage of `focus` in `folder`, re-targeting the open panel if there is one. */
  static show(
    services: Services,
    folder: FolderService,
    models: ModelsFacade | undefined,
    focus: LineageFocus,
  ): LineagePanel {
    const current = LineagePanel.current;
    if (current) {
      current.focus = focus;
      current.folder = folder;
      current.host.panel.reveal();
      void current.refresh();
      return current;
    }
    LineagePanel.current = new LineagePanel(services, folder, models, focus);
    return LineagePanel.current;
  }

  static disposeCurrent(): void {
    LineagePanel.current?.dispose();
  }

  private constructor(
    private readonly services: Services,
    private folder: FolderService,
    private readonly models: ModelsFacade | undefined,
    private focus: LineageFocus,
  ) {
    this.host = PanelHost.open(LINEAGE_VIEW_TYPE, {
      extensionUri: services.extensionUri,
      log: services.log,
      bundle: 'lineage',
      name: 'Lineage panel',
      title: focus.title,
      commands: LineageCommandSchema,
      onCommand: (command) => this.onCommand(command),
    });
    // Runs, model versions, pushes and deployments are all nodes of the graph.
    const followed = (folder: FolderService) => {
      if (folder === this.folder) this.scheduleRefresh();
    };
    this.host.own(
      services.folders.onDidChangeRuns((change) => followed(change.folder)),
      services.folders.onDidChangeModels(followed),
      services.folders.onDidChangeDeployments(followed),
    );
    this.host.onDidDispose(() => this.dispose());
  }

  private get root(): string {
    return this.folder.root;
  }

  /**
   * Index changes come in bursts while a run logs metrics: they are coalesced (one reload a second at
   * most). A hidden panel skips them: shown again, its webview reloads and asks with `ready`.
   */
  private scheduleRefresh(): void {
    if (!this.host.visible) return;
    this.refreshTimer ??= setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, 1000);
  }

  private async onCommand(command: LineageCommand): Promise<void> {
    switch (command.type) {
      case 'ready':
      case 'refresh':
        await this.refresh();
        break;
      case 'openRun':
        await this.openRun(command.runId);
        break;
      case 'revealFile':
        await this.revealFile(command.path);
        break;
      case 'selectModelVersion':
        if (this.models) await this.models.revealVersion(this.folder, command.name, command.version);
        break;
      case 'focus':
        this.focus = { nodeIds: [command.nodeId], title: this.focus.title };
        await this.refresh();
        break;
      case 'exportSvg':
        await this.exportSvg(command.svg);
        break;
    }
  }

  async refresh(): Promise<void> {
    const root = this.root;
    try {
      const store = await this.folder.store();
      const graph = loadLineageGraph(store, new DeploymentStore(root).list().records);
      const view = graph.lineageOf(this.focus.nodeIds);
      const dataNodes = view.nodes.filter((n): n is DataNode => n.kind === 'data');
      const freshness = await dataFreshness(root, dataNodes);
      const nodes: LineageNodeView[] = view.nodes.map((node) =>
        node.kind === 'data'
          ? {
              ...node,
              freshness: freshness.get(node.id)?.state ?? 'unknown',
              currentSha256: freshness.get(node.id)?.currentSha256 ?? null,
            }
          : node,
      );
      const focusNode = view.nodes.find((n) => n.id === this.focus.nodeIds[0]);
      this.host.panel.title = focusNode ? `Lineage: ${focusNode.label}` : this.focus.title;
      this.host.post({
        type: 'snapshot',
        title: this.host.panel.title,
        focus: this.focus.nodeIds,
        nodes,
        edges: view.edges,
      });
    } catch (error) {
      this.services.log.error('Lineage panel: loading the graph failed', error);
      this.host.post({
        type: 'error',
        message: `Could not load the lineage: ${(error as Error).message}. See "Trackside: Show Log".`,
      });
    }
  }

  /** The run view belongs to the compare feature; without it, the run's folder is shown instead. */
  private async openRun(runId: string): Promise<void> {
    const commands = await vscode.commands.getCommands(true);
    if (commands.includes(OPEN_RUN_COMMAND)) {
      await vscode.commands.executeCommand(OPEN_RUN_COMMAND, runId);
      return;
    }
    const runJson = vscode.Uri.file(join(this.folder.layout.runDir(runId), 'run.json'));
    await vscode.window.showTextDocument(runJson, { preview: true });
  }

  private async revealFile(path: string): Promise<void> {
    const uri = vscode.Uri.file(isAbsolute(path) ? path : join(this.root, path));
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      void vscode.window.showWarningMessage(`${path} no longer exists in the workspace.`);
      return;
    }
    await vscode.commands.executeCommand('revealInExplorer', uri);
  }

  private async exportSvg(svg: string): Promise<void> {
    const target = await vscode.window.showSaveDialog({
      title: 'Export Lineage as SVG',
      defaultUri: vscode.Uri.file(join(this.root, 'lineage.svg')),
      filters: { 'SVG image': ['svg'] },
    });
    if (!target) return;
    await writeFile(target.fsPath, svg);
    void vscode.window.showInformationMessage(`Lineage saved to ${vscode.workspace.asRelativePath(target)}.`);
  }

  dispose(): void {
    if (LineagePanel.current === this) LineagePanel.current = undefined;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.host.dispose();
  }
}
