import * as vscode from 'vscode';
import { CompareViewStateSchema } from '../../protocol/compare';
import { RefusedError } from '../refusal';
import type { Services } from '../services';
import type { FolderService } from '../workspace/folder-service';
import { COMPARE_VIEW_TYPE, ComparePanel, type CompareMode } from './panel';

/**
 * Owns the one Compare panel: opens it, re-targets it to other runs or to one run's view, restores it
 * after a window reload, and keeps its selection in step with the Experiments view. The panel shows
 * runs of one workspace folder (one index) at a time.
 */
export class CompareController implements vscode.Disposable {
  private panel: ComparePanel | undefined;
  private folder: FolderService | undefined;
  private readonly selectionEmitter = new vscode.EventEmitter<readonly string[]>();
  /** Fires when the user selects rows in the panel. */
  readonly onDidChangeSelection = this.selectionEmitter.event;

  constructor(private readonly services: Services) {}

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

  /** The one folder holding all these runs. */
  private folderOf(runIds: readonly string[]): FolderService {
    const folders = new Set(runIds.map((id) => this.services.folders.requireRun(id)));
    if (folders.size > 1) {
      throw new RefusedError(
        'several-folders',
        `These runs belong to ${[...folders].map((f) => f.name).join(' and ')}: compare the runs of one workspace folder at a time.`,
      );
    }
    return [...folders][0]!;
  }

  private async show(mode: CompareMode, runIds: string[]): Promise<void> {
    this.folder = this.folderOf(runIds);
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
      this.services.log.warn('Compare panel: the saved state did not fit; the restored panel starts empty');
    }
    const mode = parsed.success ? parsed.data.mode : 'compare';
    let runIds = parsed.success ? parsed.data.runIds : [];
    if (this.panel) {
      // Only one Compare panel lives at a time; a second restored one is closed.
      webviewPanel.dispose();
      return;
    }
    try {
      this.folder = runIds.length > 0 ? this.folderOf(runIds) : undefined;
    } catch {
      // A run was deleted (or its folder closed) while the window was away: start empty.
      runIds = [];
    }
    this.adopt(webviewPanel, mode, runIds);
  }

  private adopt(webviewPanel: vscode.WebviewPanel, mode: CompareMode, runIds: string[]): void {
    const { extensionUri, log, folders } = this.services;
    const current = (): FolderService => {
      if (!this.folder) throw new RefusedError('no-runs', 'Pick runs to compare first.');
      return this.folder;
    };
    const panel = new ComparePanel(
      webviewPanel,
      {
        extensionUri,
        log,
        workspaceRoot: () => this.folder?.root,
        index: () => current().store(),
        onRunsChanged: (listener) => {
          const subscription = folders.onDidChangeRuns((change) => {
            if (change.folder === this.folder) listener(change);
          });
          return () => subscription.dispose();
        },
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
