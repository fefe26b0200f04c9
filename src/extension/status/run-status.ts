import * as vscode from 'vscode';
import { formatNumber } from '../../core/format/numbers';
import { defaultPrimaryMetric } from '../../core/metrics/primary-metric';
import type { RunStatusValue } from '../../core/runs/protocol';
import { queryRuns, summariesForRuns, type RunRow } from '../../core/store/runs';
import { SWEEP_TAG } from '../../core/sweeps/sweep-record';
import type { Settings } from '../settings';
import type { FolderService } from '../workspace/folder-service';
import type { Folders } from '../workspace/folders';

const ENDED: ReadonlySet<RunStatusValue> = new Set(['finished', 'failed', 'killed']);

export interface RunStatusDeps {
  folders: Folders;
  settings: Settings;
  primaryMetric(experiment: string): string | undefined;
  log: vscode.LogOutputChannel;
}

/**
 * The status bar item (running runs and the latest metric of the newest one; click to focus it)
 * and the notifications when a run this window saw running ends.
 */
export class RunStatusReporter implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('trackside.runs', vscode.StatusBarAlignment.Left, 50);
  private readonly known = new Map<string, RunStatusValue>();
  private readonly activatedAt = Date.now();
  private readonly subscription: vscode.Disposable;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: RunStatusDeps) {
    this.item.name = 'Trackside Runs';
    this.subscription = deps.folders.onDidChangeRuns(() => this.schedule());
    this.schedule();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.update().catch((error: unknown) => this.deps.log.warn(`Status bar: ${(error as Error).message}`));
    }, 300);
  }

  /** Counts over every folder; the newest running run (of any folder) is the one shown and focused. */
  private async update(): Promise<void> {
    let running = 0;
    let queued = 0;
    // Pending: waiting for a Slurm node.
    let pending = 0;
    let focused: { run: RunRow; folder: FolderService } | undefined;
    for (const folder of this.deps.folders.withRuns()) {
      const store = await folder.store();
      const live = queryRuns(store, { status: ['running'], limit: 50 });
      running += live.total;
      queued += queryRuns(store, { status: ['queued'], limit: 1 }).total;
      pending += queryRuns(store, { status: ['pending'], limit: 1 }).total;
      for (const run of [...queryRuns(store, { limit: 50 }).rows, ...live.rows]) this.noticeStatus(run, folder);
      const newest = live.rows[0];
      if (newest && (!focused || newest.createdAt > focused.run.createdAt)) focused = { run: newest, folder };
    }
    if (running === 0 && queued === 0 && pending === 0) {
      this.item.hide();
      return;
    }
    let metric = '';
    if (focused) {
      const summaries = summariesForRuns(await focused.folder.store(), [focused.run.id]);
      const key = this.deps.primaryMetric(focused.run.experiment) ?? defaultPrimaryMetric(summaries.map((s) => s.key));
      const last = summaries.find((s) => s.key === key)?.last;
      if (key && last !== undefined && last !== null) metric = ` · ${key} ${formatNumber(last)}`;
    }
    const parts = [
      running > 0 ? `${running} running` : '',
      queued > 0 ? `${queued} queued` : '',
      pending > 0 ? `${pending} pending` : '',
    ];
    this.item.text = `$(loading~spin) ${parts.filter(Boolean).join(', ')}${metric}`;
    this.item.tooltip = focused
      ? `Trackside: ${focused.run.name} (${focused.run.experiment}) — click to open it`
      : 'Trackside runs';
    this.item.command = focused
      ? { command: 'trackside.focusRun', title: 'Focus Run', arguments: [focused.run.id] }
      : 'trackside.experiments.focus';
    this.item.show();
  }

  /** Notifies once when a run this window has seen running or queued reaches an end state. */
  private noticeStatus(run: RunRow, folder: FolderService): void {
    const before = this.known.get(run.id);
    this.known.set(run.id, run.status);
    // A run started after this window opened may end before it is first seen running.
    const startedHere = before === undefined && Date.parse(run.createdAt) >= this.activatedAt;
    if ((!before && !startedHere) || (before && ENDED.has(before)) || !ENDED.has(run.status)) return;
    if (!this.deps.settings.notifyRunEnded) return;
    void this.notify(run, folder);
  }

  private async notify(run: RunRow, folder: FolderService): Promise<void> {
    // A sweep's trials end by the dozen: the sweep reports once when all have (src/extension/sweeps).
    const store = await folder.store();
    if (queryRuns(store, { tag: { key: SWEEP_TAG }, text: run.id, limit: 1 }).total > 0) return;
    const text =
      run.status === 'finished'
        ? `Run ${run.name} finished.`
        : `Run ${run.name} ${run.status === 'killed' ? 'was stopped' : 'failed'}${run.message ? `: ${run.message}` : '.'}`;
    const show = run.status === 'finished' ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
    const choice = await show(text, 'Compare with Best', 'Show Output');
    if (choice === 'Compare with Best') await vscode.commands.executeCommand('trackside.compareWithBest', run.id);
    if (choice === 'Show Output') await vscode.commands.executeCommand('trackside.showOutput', run.id);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.subscription.dispose();
    this.item.dispose();
  }
}
