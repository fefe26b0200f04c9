import * as vscode from 'vscode';
import type { FolderService } from '../workspace/folder-service';
import type { SweepGroups } from './sweep-groups';
import { describeProgress } from './sweep-progress';

/**
 * One notification when a sweep this window saw in progress has every trial ended, with its best
 * trial and the way to compare its runs (its trials do not notify one by one).
 */
export class SweepNotifier implements vscode.Disposable {
  private readonly inProgress = new Set<string>();
  private readonly subscription: vscode.Disposable;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    index: FolderService,
    private readonly groups: SweepGroups,
    private readonly enabled: () => boolean,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscription = index.onDidChangeRuns(() => {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.check().catch((error: unknown) => this.log.warn(`Sweep progress: ${(error as Error).message}`));
      }, 1000);
    });
  }

  private async check(): Promise<void> {
    for (const sweep of await this.groups.all()) {
      const p = sweep.progress;
      const ended = p.done + p.failed === p.total;
      if (!ended) {
        this.inProgress.add(p.id);
        continue;
      }
      if (!this.inProgress.delete(p.id) || !this.enabled()) continue;
      const show = p.failed > 0 ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      void show(`Sweep ${p.name} ended: ${describeProgress(p)}.`, 'Compare Sweep Runs').then(async (choice) => {
        if (choice) await vscode.commands.executeCommand('trackside.compareSweepRuns', sweep);
      });
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.subscription.dispose();
  }
}
