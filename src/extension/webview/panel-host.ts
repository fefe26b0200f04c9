import * as vscode from 'vscode';
import type { z } from 'zod';
import { HostMessenger } from './host-messenger';
import { panelHtml, webviewOptions } from './panel-html';

export interface PanelSpec<Command extends { type: string }> {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  /** The webview bundle under dist/webview/ (compare, lineage…). */
  bundle: string;
  /** Names the panel in log lines. */
  name: string;
  title: string;
  /** The panel's protocol: every message from the webview is parsed with it. */
  commands: z.ZodType<Command>;
  onCommand(command: Command): void | Promise<void>;
}

/**
 * What every Trackside webview panel has in common: the strict-CSP shell of its bundle, resources
 * only from dist/webview/, one message channel with the ready handshake (renewed each time a hidden
 * panel is shown again, as its webview reloads), and one disposal. A panel class owns a host and
 * adds its own content.
 */
export class PanelHost<Command extends { type: string }, Notification> implements vscode.Disposable {
  readonly messenger: HostMessenger<Command, Notification>;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeCallbacks: (() => void)[] = [];
  private disposed = false;

  constructor(
    readonly panel: vscode.WebviewPanel,
    spec: PanelSpec<Command>,
  ) {
    panel.iconPath = vscode.Uri.joinPath(spec.extensionUri, 'media', 'trackside.svg');
    panel.webview.options = webviewOptions(spec.extensionUri);
    this.messenger = new HostMessenger(panel.webview, spec.commands, spec.log, spec.name, (command) =>
      spec.onCommand(command),
    );
    panel.webview.html = panelHtml(panel.webview, spec.extensionUri, spec.bundle, spec.title);
    this.disposables.push(
      this.messenger,
      panel.onDidChangeViewState(() => {
        // Without retainContextWhenHidden the webview reloads when shown again and says `ready` anew.
        if (!panel.visible) this.messenger.resetHandshake();
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** Creates a panel in the active column and hosts it. */
  static open<Command extends { type: string }, Notification>(
    viewType: string,
    spec: PanelSpec<Command>,
  ): PanelHost<Command, Notification> {
    const panel = vscode.window.createWebviewPanel(viewType, spec.title, vscode.ViewColumn.Active, {
      enableScripts: true,
    });
    return new PanelHost(panel, spec);
  }

  get visible(): boolean {
    return this.panel.visible;
  }

  post(notification: Notification): void {
    this.messenger.post(notification);
  }

  /** Disposed with the panel. */
  own(...disposables: vscode.Disposable[]): void {
    if (this.disposed) disposables.forEach((d) => d.dispose());
    else this.disposables.push(...disposables);
  }

  onDidDispose(callback: () => void): void {
    this.disposeCallbacks.push(callback);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
    for (const callback of this.disposeCallbacks.splice(0)) callback();
  }
}
