import { writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { DeploymentStore } from '../../core/deploy/record-store';
import { dataFreshness } from '../../core/lineage/freshness';
import type { DataNode } from '../../core/lineage/graph';
import { loadLineageGraph } from '../../core/lineage/load-graph';
import { syncJournals } from '../../core/models/journal-sync';
import {
  LineageCommandSchema,
  type LineageCommand,
  type LineageNodeView,
  type LineageNotification,
} from '../../protocol/lineage';
import { HostMessenger } from '../webview/host-messenger';
import { panelHtml, webviewOptions } from '../webview/panel-html';
import type { IndexDeps, ModelsFacade } from './deps';

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
  private readonly disposables: vscode.Disposable[] = [];
  private readonly messenger: HostMessenger<LineageCommand, LineageNotification>;
  private refreshTimer: NodeJS.Timeout | undefined;

  static show(deps: IndexDeps, models: ModelsFacade | undefined, focus: LineageFocus): LineagePanel {
    if (LineagePanel.current) {
      LineagePanel.current.focus = focus;
      LineagePanel.current.panel.reveal();
      void LineagePanel.current.refresh();
      return LineagePanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      LINEAGE_VIEW_TYPE,
      focus.title,
      vscode.ViewColumn.Active,
      webviewOptions(deps.extensionUri),
    );
    LineagePanel.current = new LineagePanel(panel, deps, models, focus);
    return LineagePanel.current;
  }

  static disposeCurrent(): void {
    LineagePanel.current?.panel.dispose();
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly deps: IndexDeps,
    private readonly models: ModelsFacade | undefined,
    private focus: LineageFocus,
  ) {
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'trackside.svg');
    this.messenger = new HostMessenger(panel.webview, LineageCommandSchema, deps.log, 'Lineage panel', (command) =>
      this.onCommand(command),
    );
    panel.webview.html = panelHtml(panel.webview, deps.extensionUri, 'lineage', 'Lineage');
    const unsubscribe = deps.onIndexChanged(() => this.scheduleRefresh());
    this.disposables.push(
      this.messenger,
      { dispose: unsubscribe },
      panel.onDidChangeViewState(() => {
        // A hidden webview reloads its document when shown, and asks again with `ready`.
        if (!panel.visible) this.messenger.resetHandshake();
      }),
      panel.onDidDispose(() => this.dispose()),
    );
    if (models) this.disposables.push(models.onDidChangeModels(() => this.scheduleRefresh()));
  }

  /**
   * Index changes come in bursts while a run logs metrics: they are coalesced (one reload a second at
   * most). A hidden panel skips them: shown again, its webview reloads and asks with `ready`.
   */
  private scheduleRefresh(): void {
    if (!this.panel.visible) return;
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
        if (this.models) await this.models.revealVersion(command.name, command.version);
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
    const root = this.deps.workspaceRoot();
    if (!root) {
      this.messenger.post({ type: 'error', message: 'Open a folder to see the lineage of its runs.' });
      return;
    }
    try {
      const store = await this.deps.index();
      syncJournals(store, root);
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
      this.panel.title = focusNode ? `Lineage: ${focusNode.label}` : this.focus.title;
      this.messenger.post({
        type: 'snapshot',
        title: this.panel.title,
        focus: this.focus.nodeIds,
        nodes,
        edges: view.edges,
      });
    } catch (error) {
      this.deps.log.error('Lineage panel: loading the graph failed', error);
      this.messenger.post({
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
    const root = this.deps.workspaceRoot();
    if (!root) return;
    const runJson = vscode.Uri.file(join(root, '.trackside', 'runs', runId, 'run.json'));
    await vscode.window.showTextDocument(runJson, { preview: true });
  }

  private async revealFile(path: string): Promise<void> {
    const root = this.deps.workspaceRoot();
    const uri = vscode.Uri.file(isAbsolute(path) || !root ? path : join(root, path));
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      void vscode.window.showWarningMessage(`${path} no longer exists in the workspace.`);
      return;
    }
    await vscode.commands.executeCommand('revealInExplorer', uri);
  }

  private async exportSvg(svg: string): Promise<void> {
    const root = this.deps.workspaceRoot();
    const target = await vscode.window.showSaveDialog({
      title: 'Export Lineage as SVG',
      defaultUri: root ? vscode.Uri.file(join(root, 'lineage.svg')) : undefined,
      filters: { 'SVG image': ['svg'] },
    });
    if (!target) return;
    await writeFile(target.fsPath, svg);
    void vscode.window.showInformationMessage(`Lineage saved to ${vscode.workspace.asRelativePath(target)}.`);
  }

  dispose(): void {
    if (LineagePanel.current === this) LineagePanel.current = undefined;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
