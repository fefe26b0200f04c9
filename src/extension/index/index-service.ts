import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { TRACKSIDE_DIR } from '../../core/runs/protocol';
import { IngestWatcher, type IngestChange } from '../../core/runs/ingest-watcher';
import type { IndexStore } from '../../core/store/database';

/**
 * The workspace's run index for the editor: opened on first use, kept current by the ingest
 * watcher, closed (awaited) on deactivate. Views subscribe to `onDidChange`. Nothing is created in a
 * workspace that has no `.trackside/` yet: the service starts when the first run appears.
 */
export class IndexService implements vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<IngestChange>();
  readonly onDidChange = this.changeEmitter.event;
  private starting: Promise<{ store: IndexStore; watcher: IngestWatcher }> | undefined;
  private readonly disposables: vscode.Disposable[] = [this.changeEmitter];

  constructor(
    readonly workspaceRoot: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const appeared = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(workspaceRoot, `${TRACKSIDE_DIR}/runs/*/run.json`),
      false,
      true,
      true,
    );
    this.disposables.push(
      appeared,
      appeared.onDidCreate(() => {
        if (!this.starting) void this.store().catch(() => undefined);
      }),
    );
  }

  /** True once the workspace has a `.trackside/` folder, i.e. something to index. */
  hasRuns(): boolean {
    return existsSync(join(this.workspaceRoot, TRACKSIDE_DIR));
  }

  get started(): boolean {
    return this.starting !== undefined;
  }

  /** The open index, starting it (and the watcher's catch-up ingest) on first call. */
  async store(): Promise<IndexStore> {
    this.starting ??= this.start();
    try {
      return (await this.starting).store;
    } catch (error) {
      this.starting = undefined;
      throw error;
    }
  }

  private async start(): Promise<{ store: IndexStore; watcher: IngestWatcher }> {
    const started = performance.now();
    // Loaded here, not at activation: the SQLite driver is only needed once there is an index to read.
    const { IndexStore } = await import('../../core/store/database');
    const store = IndexStore.openWorkspace(this.workspaceRoot);
    try {
      const watcher = await IngestWatcher.start(store, this.workspaceRoot);
      watcher.changes.on((change) => this.changeEmitter.fire(change));
      watcher.errors.on((error) => this.log.warn(`Ingest: ${error.message}`));
      this.log.info(
        `Index ready in ${(performance.now() - started).toFixed(0)} ms (${store.path}, ${store.driver.name}, SQLite ${store.driver.sqliteVersion})`,
      );
      return { store, watcher };
    } catch (error) {
      store.close();
      throw error;
    }
  }

  /** Tells subscribers that rows changed outside the watcher (e.g. a rename written by a command). */
  notifyChanged(runIds: string[]): void {
    this.changeEmitter.fire({ kind: 'updated', runIds });
  }

  async close(): Promise<void> {
    const running = this.starting;
    this.starting = undefined;
    if (running) {
      try {
        const { store, watcher } = await running;
        await watcher.close();
        store.close();
      } catch {
        // It never started: nothing to close.
      }
    }
    this.dispose();
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
