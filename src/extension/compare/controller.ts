import * as vscode from 'vscode';
import type { IngestChange } from '../../core/runs/ingest-watcher';
import type { IndexStore } from '../../core/store/database';
import { CompareViewStateSchema } from '../../protocol/compare';
import { COMPARE_VIEW_TYPE, ComparePanel, type CompareMode } from './panel';

/** What the Compare panel needs from the composition root. */
export interface CompareDeps {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  workspaceRoot(): string | undefined;
  /** The workspace index, opened and caught up with the run folders. */
  index(): Promise<IndexStore>;
  /** Subscribes to ingest's change events (IngestWatcher.changes.on); returns the unsubscribe function. */
  onRunsChanged(listener: (change: IngestChange) => void): () => void;
}

/**
 * Owns the one Compare panel: opens it, re-targets it to other runs or to one run's view, restores it
 * after a window reload, and keeps its selection in step with the Experiments view.
 */
export class CompareController implements vscode.Disposable {
  private panel: ComparePanel | undefined;
  private readonly selectionEmitter = new vscode.EventEmitter<readonly string[]>();
  /** Fires when the user selects rows in the panel. */
  readonly onDidChangeSelection = this.selectionEmitter.event;

  constructor(private readonly deps: CompareDeps) {}

  /** Opens the panel on these runs (re-targeting it when open). */
  async showRuns(runIds: readonly string[]): Promise<void> {
    await this.show('compare', [...new Set(runIds)]);
  }

  /** Opens the run view of one run in the panel. */
  async openRun(runId: string): Promise<void> {
    await this.show('run', [runId]);
  }

  /** Selects these runs in the panel (the Experiments view's selection changed). */
  setSelection(runIds: readonly string[]): void {
    this.panel?.setSelection(runIds);
  }

  /** Runs shown in the open panel, empty when none is open. */
  get shownRunIds(): readonly string[] {
    return this.panel?.currentRunIds ?? [];
  }

  private async show(mode: CompareMode, runIds: string[]): Promise<void> {
    if (this.panel) {
      this.panel.reveal();
      await this.panel.retarget(mode, runIds);
      return;
    }
    const webviewPanel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, 'Compare Runs', vscode.ViewColumn.Active, {
      enableScripts: true,
    });
    this.adopt(webviewPanel, mode, runIds);
  }

  /** Takes over a panel VS Code restored after a reload, with the runs its webview state names. */
  restore(webviewPanel: vscode.WebviewPanel, state: unknown): void {
    const parsed = CompareViewStateSchema.safeParse(state);
    if (!parsed.success) {
      this.deps.log.warn('Compare panel: the saved state did not fit; the restored panel starts empty');
    }
    const mode = parsed.success ? parsed.data.mode : 'compare';
    const runIds = parsed.success ? parsed.data.runIds : [];
    if (this.panel) {
      // Only one Compare panel lives at a time; a second restored one is closed.
      webviewPanel.dispose();
      return;
    }
    this.adopt(webviewPanel, mode, runIds);
  }

  private adopt(webviewPanel: vscode.WebviewPanel, mode: CompareMode, runIds: string[]): void {
    const panel = new ComparePanel(
      webviewPanel,
      {
        extensionUri: this.deps.extensionUri,
        log: this.deps.log,
        workspaceRoot: () => this.deps.workspaceRoot(),
        index: () => this.deps.index(),
        onRunsChanged: (listener) => this.deps.onRunsChanged(listener),
        selectionChanged: (ids) => this.selectionEmitter.fire(ids),
      },
      mode,
      runIds,
    );
    panel.onDidDispose(() => {
      if (this.panel === panel) this.panel = undefined;
    });
    this.panel = panel;
  }

  dispose(): void {
    this.panel?.dispose();
    this.selectionEmitter.dispose();
  }
}
