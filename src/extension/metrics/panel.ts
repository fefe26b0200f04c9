import * as vscode from 'vscode';
import { readLatestRunMetrics } from '../../core/runs/latest-run';
import {
  MetricsCommandSchema,
  type MetricsCommand,
  type MetricsNotification,
  type MetricSeries,
} from '../../protocol/metrics';
import { HostMessenger } from '../webview/host-messenger';
import { panelHtml, webviewOptions } from '../webview/panel-html';

const VIEW_TYPE = 'trackside.latestRun';

/** A chart of the newest run's metrics, read from its run folder. One panel, revealed if already open. */
export class LatestRunPanel implements vscode.Disposable {
  private static current: LatestRunPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly messenger: HostMessenger<MetricsCommand, MetricsNotification>;

  static show(
    extensionUri: vscode.Uri,
    workspaceRoot: string | undefined,
    log: vscode.LogOutputChannel,
  ): LatestRunPanel {
    if (LatestRunPanel.current) {
      LatestRunPanel.current.panel.reveal();
      void LatestRunPanel.current.refresh();
      return LatestRunPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      'Latest Run',
      vscode.ViewColumn.Active,
      webviewOptions(extensionUri),
    );
    LatestRunPanel.current = new LatestRunPanel(panel, extensionUri, workspaceRoot, log);
    return LatestRunPanel.current;
  }

  static disposeCurrent(): void {
    LatestRunPanel.current?.panel.dispose();
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly workspaceRoot: string | undefined,
    private readonly log: vscode.LogOutputChannel,
  ) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'trackside.svg');
    this.messenger = new HostMessenger(panel.webview, MetricsCommandSchema, log, 'Latest Run panel', (command) =>
      this.onCommand(command),
    );
    panel.webview.html = panelHtml(panel.webview, extensionUri, 'metrics', 'Latest Run');
    this.disposables.push(
      this.messenger,
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.messenger.resetHandshake();
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  private async onCommand(command: MetricsCommand): Promise<void> {
    switch (command.type) {
      case 'ready':
      case 'refresh':
        await this.refresh();
        break;
    }
  }

  async refresh(): Promise<void> {
    if (!this.workspaceRoot) {
      this.messenger.post({ type: 'error', message: 'Open a folder to see its runs.' });
      return;
    }
    try {
      const latest = await readLatestRunMetrics(this.workspaceRoot);
      if (!latest) {
        this.messenger.post({ type: 'snapshot', run: null, series: [] });
        return;
      }
      // JSON cannot carry NaN or infinities, and a chart cannot place them: they stay in the run folder.
      const series: MetricSeries[] = [...latest.series].map(([key, points]) => ({
        key,
        points: points.filter((p) => Number.isFinite(p.value)),
      }));
      this.panel.title = `Run ${latest.info.name}`;
      this.messenger.post({
        type: 'snapshot',
        run: {
          id: latest.info.id,
          name: latest.info.name,
          experiment: latest.info.experiment,
          status: latest.status?.status ?? 'running',
          createdAt: latest.info.createdAt,
        },
        series,
      });
    } catch (error) {
      this.log.error('Latest Run panel: reading the run failed', error);
      this.messenger.post({
        type: 'error',
        message: `Could not read the latest run: ${(error as Error).message}. See "Trackside: Show Log".`,
      });
    }
  }

  dispose(): void {
    if (LatestRunPanel.current === this) LatestRunPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
