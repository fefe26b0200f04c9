import type * as vscode from 'vscode';
import type { CompareController } from './controller';

/**
 * Brings the Compare panel back after a window reload: VS Code hands over the panel and the state
 * its webview last saved (runs, sort, filter, selection), and the controller reconnects it.
 */
export class CompareSerializer implements vscode.WebviewPanelSerializer<unknown> {
  constructor(private readonly controller: CompareController) {}

  async deserializeWebviewPanel(webviewPanel: vscode.WebviewPanel, state: unknown): Promise<void> {
    this.controller.restore(webviewPanel, state);
  }
}
