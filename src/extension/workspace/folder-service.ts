import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { workspaceActor } from '../../core/models/actor';
import type { ModelRegistry } from '../../core/models/model-registry';
import { isRunId } from '../../core/runs/run-id';
import { describeRecovery, type IndexStore } from '../../core/store/database';
import { WorkspaceLayout } from '../../core/workspace/layout';
import { Workspace, type RunsChange } from '../../core/workspace/workspace';

/**
 * One workspace folder as the editor sees it: its core {@link Workspace} (layout, index, the one
 * change feed) with the feed's changes as VS Code events. Every view and panel reads through the
 * service of the folder it shows; none opens the index or watches files of its own.
 */
export class FolderService implements vscode.Disposable {
  readonly layout: WorkspaceLayout;
  private readonly runsEmitter = new vscode.EventEmitter<RunsChange>();
  private readonly modelsEmitter = new vscode.EventEmitter<void>();
  private readonly deploymentsEmitter = new vscode.EventEmitter<void>();
  /** Run rows changed (ingest of the run folders, or a change this window made). */
  readonly onDidChangeRuns = this.runsEmitter.event;
  /** Model versions, aliases, pushes or the audit log changed (in this window, another one, or the CLI). */
  readonly onDidChangeModels = this.modelsEmitter.event;
  /** A deployment record was written or removed. */
  readonly onDidChangeDeployments = this.deploymentsEmitter.event;
  private readonly workspace: Promise<Workspace>;
  private opened: Promise<IndexStore> | undefined;

  constructor(
    readonly folder: vscode.WorkspaceFolder,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.layout = new WorkspaceLayout(folder.uri.fsPath);
    this.workspace = Workspace.watch(folder.uri.fsPath).then((workspace) => {
      workspace.runs.on((change) => this.runsEmitter.fire(change));
      workspace.models.on(() => this.modelsEmitter.fire());
      workspace.deployments.on(() => this.deploymentsEmitter.fire());
      workspace.errors.on((error) => this.log.warn(`${folder.name}: ${error.message}`));
      // The first run of a new workspace: start keeping its index (the views refresh from its events).
      workspace.appeared.on(() => void this.store().catch((error: unknown) => this.warn(error)));
      return workspace;
    });
  }

  get root(): string {
    return this.folder.uri.fsPath;
  }

  get name(): string {
    return this.folder.name;
  }

  /** True once the folder has a `.trackside/` folder, i.e. something to index. */
  hasRuns(): boolean {
    return existsSync(this.layout.dir);
  }

  /**
   * The folder's index, opened and caught up with its run folders and journals on first use. The
   * views and commands that ask at once while it opens share one opening: it is reported (and a
   * recovery warned about) once.
   */
  store(): Promise<IndexStore> {
    this.opened ??= this.openStore().catch((error: unknown) => {
      this.opened = undefined;
      throw error;
    });
    return this.opened;
  }

  private async openStore(): Promise<IndexStore> {
    const started = performance.now();
    const store = await (await this.workspace).index();
    const recovery = describeRecovery(store);
    if (recovery) {
      this.log.warn(`${this.name}: ${recovery}`);
      void vscode.window.showWarningMessage(`Trackside: ${recovery}`);
    }
    this.log.info(
      `Index of ${this.name} ready in ${(performance.now() - started).toFixed(0)} ms (${store.path}, ${store.driver.name}, SQLite ${store.driver.sqliteVersion})`,
    );
    return store;
  }

  /** The folder's model registry: what it writes reaches the index and the Models view at once. */
  async modelRegistry(): Promise<ModelRegistry> {
    return (await this.workspace).modelRegistry(() =>
      workspaceActor(this.root, { askGit: vscode.workspace.isTrusted }),
    );
  }

  /** Re-reads these runs' folders now (after a rename or a delete this window just wrote). */
  async refreshRuns(runIds: string[]): Promise<void> {
    await (await this.workspace).refreshRuns(runIds);
  }

  /** True when `runId` names a run folder of this workspace folder. */
  ownsRun(runId: string): boolean {
    return isRunId(runId) && existsSync(this.layout.runDir(runId));
  }

  private warn(error: unknown): void {
    this.log.warn(`Index of ${this.name}: ${error instanceof Error ? error.message : String(error)}`);
  }

  /** Stops the feed and closes the index (awaited in deactivate). */
  async close(): Promise<void> {
    try {
      await (await this.workspace).close();
    } catch {
      // It never started: nothing to close.
    }
    this.dispose();
  }

  dispose(): void {
    this.runsEmitter.dispose();
    this.modelsEmitter.dispose();
    this.deploymentsEmitter.dispose();
  }
}
