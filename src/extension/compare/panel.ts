import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { readAnnotations, writeAnnotations } from '../../core/compare/annotations';
import { resolveColumn, type Column } from '../../core/compare/columns';
import { CompareSession } from '../../core/compare/compare-session';
import { exportTable } from '../../core/compare/export-table';
import { loadRunDetail, runFolder } from '../../core/compare/run-detail';
import type { RunsChange } from '../../core/workspace/workspace';
import { RunFile } from '../../core/runs/protocol';
import type { IndexStore } from '../../core/store/database';
import { CompareCommandSchema, type CompareCommand, type CompareNotification } from '../../protocol/compare';
import { PanelHost } from '../webview/panel-host';
import { artifactUri, decodePngDataUrl, openFile, revealFile, saveWithDialog } from './file-actions';

export const COMPARE_VIEW_TYPE = 'trackside.compare';
export const SHOW_CODE_DIFF_COMMAND = 'trackside.showCodeDiff';

export type CompareMode = 'compare' | 'run';

/** What a panel needs from the rest of the extension. */
export interface ComparePanelContext {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  workspaceRoot(): string | undefined;
  /** The workspace index, opened and caught up with the run folders. */
  index(): Promise<IndexStore>;
  /** Subscribes to ingest's change events; returns the unsubscribe function. */
  onRunsChanged(listener: (change: RunsChange) => void): () => void;
  /** The panel's selection changed (the sidebar follows it). */
  selectionChanged(runIds: readonly string[]): void;
}

/** How often the run view re-reads the output tail and status of a running run. */
const RUN_DETAIL_REFRESH_MS = 1000;
/**
 * How often grouped charts (mean ± std bands, recomputed whole) follow their running runs: once a
 * second, or less often when recomputing takes long (at most a tenth of the host's time).
 */
const BANDS_REFRESH_MS = 1000;

/**
 * One Compare panel: a table and charts over a set of runs, or the run view of one run. The host
 * owns the data; the webview sends commands and renders what it is sent.
 */
export class ComparePanel implements vscode.Disposable {
  private readonly host: PanelHost<CompareCommand, CompareNotification>;
  private session: CompareSession | undefined;
  private sessionStore: IndexStore | undefined;
  private runDetailTimer: NodeJS.Timeout | undefined;
  private bandsTimer: NodeJS.Timeout | undefined;
  private bandsDelayMs = BANDS_REFRESH_MS;
  private disposed = false;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly context: ComparePanelContext,
    private mode: CompareMode,
    private runIds: string[],
  ) {
    this.host = new PanelHost(panel, {
      extensionUri: context.extensionUri,
      log: context.log,
      bundle: 'compare',
      name: 'Compare panel',
      title: 'Compare Runs',
      commands: CompareCommandSchema,
      onCommand: (command) => this.onCommand(command),
    });
    const unsubscribe = context.onRunsChanged((change) => this.onRunsChanged(change));
    this.host.own({ dispose: unsubscribe });
    this.host.onDidDispose(() => this.dispose());
    this.updateTitle();
  }

  get currentMode(): CompareMode {
    return this.mode;
  }

  get currentRunIds(): readonly string[] {
    return this.runIds;
  }

  onDidDispose(callback: () => void): void {
    this.host.onDidDispose(callback);
  }

  /** Points the panel at other runs (or one run's view) and sends the new content. */
  async retarget(mode: CompareMode, runIds: string[]): Promise<void> {
    this.mode = mode;
    this.runIds = runIds;
    this.updateTitle();
    await this.sendContent();
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  setSelection(runIds: readonly string[]): void {
    this.host.post({ type: 'selection', runIds: [...runIds] });
  }

  private updateTitle(): void {
    this.panel.title =
      this.mode === 'run' ? 'Run' : `Compare ${this.runIds.length} Run${this.runIds.length === 1 ? '' : 's'}`;
  }

  private async sessionFor(): Promise<CompareSession> {
    // Re-targeted to runs of another workspace folder: a session over that folder's index.
    const store = await this.context.index();
    if (!this.session || this.sessionStore !== store) {
      this.session = new CompareSession(store);
      this.sessionStore = store;
    }
    if (this.session.currentRunIds.join() !== this.runIds.join()) this.session.setRuns(this.runIds);
    return this.session;
  }

  private async sendContent(): Promise<void> {
    try {
      const session = await this.sessionFor();
      const table = session.loadTable();
      this.host.post({ type: 'table', mode: this.mode, table });
      if (this.mode === 'run') await this.sendRunDetail();
    } catch (error) {
      this.reportError('loading the runs', error);
    }
  }

  private async sendRunDetail(): Promise<void> {
    const runId = this.runIds[0];
    const root = this.context.workspaceRoot();
    if (!runId || !root) return;
    const detail = await loadRunDetail(await this.context.index(), root, runId, (problem) =>
      this.context.log.warn(`Run view: ${problem.message}`),
    );
    if (!detail) {
      this.host.post({ type: 'error', message: `Run ${runId} is not in the index (was its folder deleted?).` });
      return;
    }
    this.panel.title = `Run ${detail.name}`;
    this.host.post({ type: 'runDetail', run: detail });
  }

  private onRunsChanged(change: RunsChange): void {
    if (!this.session || this.disposed) return;
    try {
      const update = this.session.onRunsChanged(change.runIds, change.kind);
      if (!update) return;
      if (update.table) this.host.post({ type: 'table', mode: this.mode, table: update.table });
      else if (update.rows.length > 0) this.host.post({ type: 'rows', rows: update.rows });
      for (const batch of update.appends) this.host.post({ type: 'append', ...batch });
      if (update.bandsStale) this.scheduleBands();
      if (this.mode === 'run') this.scheduleRunDetail();
    } catch (error) {
      this.reportError('updating the runs', error);
    }
  }

  private scheduleRunDetail(): void {
    if (this.runDetailTimer) return;
    this.runDetailTimer = setTimeout(() => {
      this.runDetailTimer = undefined;
      this.sendRunDetail().catch((error: unknown) => this.reportError('refreshing the run', error));
    }, RUN_DETAIL_REFRESH_MS);
  }

  private scheduleBands(): void {
    if (this.bandsTimer) return;
    this.bandsTimer = setTimeout(() => {
      this.bandsTimer = undefined;
      const started = performance.now();
      try {
        for (const answer of this.session?.liveBands() ?? []) this.host.post({ type: 'series', ...answer });
      } catch (error) {
        this.reportError('updating the grouped charts', error);
      }
      this.bandsDelayMs = Math.max(BANDS_REFRESH_MS, 10 * (performance.now() - started));
    }, this.bandsDelayMs);
  }

  private async onCommand(command: CompareCommand): Promise<void> {
    switch (command.type) {
      case 'ready':
        this.session?.resetLive();
        await this.sendContent();
        return;
      case 'refresh':
        await this.sendContent();
        return;
      case 'requestSeries': {
        const session = await this.sessionFor();
        const answer = session.series(command);
        this.host.post({ type: 'series', ...answer });
        return;
      }
      case 'selectRuns':
        this.context.selectionChanged(command.runIds);
        return;
      case 'openRun':
        await this.retarget('run', [command.runId]);
        return;
      case 'compareRuns':
        await this.retarget('compare', command.runIds);
        return;
      case 'exportTable':
        await this.exportTable(command);
        return;
      case 'saveImage':
        await this.saveImage(command);
        return;
      case 'saveAnnotations':
        await this.saveAnnotations(command);
        return;
      case 'showCodeDiff':
        await this.showCodeDiff(command.runId);
        return;
      case 'openArtifact':
        await this.openArtifact(command);
        return;
      case 'openOutput':
        await this.openRunFile(command.runId, RunFile.output);
        return;
    }
  }

  private async exportTable(command: Extract<CompareCommand, { type: 'exportTable' }>): Promise<void> {
    const session = await this.sessionFor();
    const table = session.loadTable();
    const byId = new Map(table.rows.map((r) => [r.id, r]));
    const rows = command.runIds.flatMap((id) => byId.get(id) ?? []);
    const columns = command.columns.map((c) => resolveColumn(c.id, c.aggregate)).filter((c): c is Column => c !== null);
    const text = exportTable(command.format, table, rows, columns);
    if (command.destination === 'clipboard') {
      await vscode.env.clipboard.writeText(text);
      void vscode.window.showInformationMessage(`Copied ${rows.length} runs as a Markdown table.`);
      return;
    }
    const extension = command.format === 'csv' ? 'csv' : 'md';
    const name = `trackside-runs.${extension}`;
    const filters: Record<string, string[]> = command.format === 'csv' ? { CSV: ['csv'] } : { Markdown: ['md'] };
    const path = await saveWithDialog(this.context.workspaceRoot(), name, filters, text);
    if (path) {
      this.context.log.info(`Exported ${rows.length} runs to ${path}`);
      void vscode.window.showInformationMessage(`Exported ${rows.length} runs to ${path}`);
    }
  }

  private async saveImage(command: Extract<CompareCommand, { type: 'saveImage' }>): Promise<void> {
    const content = command.format === 'png' ? decodePngDataUrl(command.data) : command.data;
    if (content === null) {
      this.context.log.warn('Compare panel: the chart image was not a PNG data URL');
      return;
    }
    const safeName = command.name.replace(/[^\w.-]+/g, '-');
    const filters: Record<string, string[]> =
      command.format === 'png' ? { 'PNG image': ['png'] } : { 'SVG image': ['svg'] };
    const path = await saveWithDialog(this.context.workspaceRoot(), `${safeName}.${command.format}`, filters, content);
    if (path) void vscode.window.showInformationMessage(`Saved the chart to ${path}`);
  }

  private async saveAnnotations(command: Extract<CompareCommand, { type: 'saveAnnotations' }>): Promise<void> {
    const root = this.context.workspaceRoot();
    if (!root) return;
    const dir = runFolder(root, command.runId);
    // The name is edited elsewhere (Rename Run): keep it.
    const { name } = await readAnnotations(dir);
    await writeAnnotations(dir, { ...(name ? { name } : {}), tags: command.tags, note: command.note });
    this.context.log.info(`Saved tags and note of run ${command.runId}`);
    if (this.mode === 'run') await this.sendRunDetail();
  }

  /** The lead's code-diff command when present; else the run's git.patch as a diff document. */
  private async showCodeDiff(runId: string): Promise<void> {
    const commands = await vscode.commands.getCommands(true);
    if (commands.includes(SHOW_CODE_DIFF_COMMAND)) {
      await vscode.commands.executeCommand(SHOW_CODE_DIFF_COMMAND, runId);
      return;
    }
    await this.openRunFile(runId, RunFile.patch);
  }

  private async openRunFile(runId: string, file: string): Promise<void> {
    const root = this.context.workspaceRoot();
    if (!root) return;
    const path = join(runFolder(root, runId), file);
    try {
      await readFile(path);
    } catch {
      void vscode.window.showWarningMessage(`Run ${runId} has no ${file}.`);
      return;
    }
    await openFile(vscode.Uri.file(path));
  }

  private async openArtifact(command: Extract<CompareCommand, { type: 'openArtifact' }>): Promise<void> {
    const root = this.context.workspaceRoot();
    if (!root) return;
    const detail = await loadRunDetail(await this.context.index(), root, command.runId);
    const uri = artifactUri(detail?.cwd ?? root, command.path);
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      void vscode.window.showWarningMessage(`${uri.fsPath} no longer exists.`);
      return;
    }
    if (command.action === 'open') await openFile(uri);
    else await revealFile(uri);
  }

  private reportError(what: string, error: unknown): void {
    this.context.log.error(`Compare panel: ${what} failed`, error);
    this.host.post({
      type: 'error',
      message: `Trackside could not finish ${what}: ${error instanceof Error ? error.message : String(error)}. See "Trackside: Show Log".`,
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.runDetailTimer) clearTimeout(this.runDetailTimer);
    if (this.bandsTimer) clearTimeout(this.bandsTimer);
    this.host.dispose();
  }
}
