import type * as vscode from 'vscode';
import { queryRuns } from '../../core/store/runs';
import type { ExperimentsNode } from '../sidebar/tree';
import type { Folders } from '../workspace/folders';

/**
 * The Experiments view's badge (on the Trackside activity icon too): how many runs are running,
 * queued locally or pending on Slurm in every workspace folder, so waiting work is visible while the
 * view is closed.
 */
export class ActivityBadge implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly folders: Folders,
    private readonly view: vscode.TreeView<ExperimentsNode>,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscription = folders.onDidChangeRuns(() => this.schedule());
    this.schedule();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.update().catch((error: unknown) => this.log.warn(`Run counts: ${(error as Error).message}`));
    }, 500);
  }

  private async update(): Promise<void> {
    let running = 0;
    let queued = 0;
    let pending = 0;
    for (const folder of this.folders.withRuns()) {
      const store = await folder.store();
      const count = (status: string) => queryRuns(store, { status: [status], limit: 1 }).total;
      running += count('running');
      queued += count('queued');
      pending += count('pending');
    }
    const total = running + queued + pending;
    const parts = [`${running} running`, `${queued} queued`, `${pending} pending on Slurm`];
    this.view.badge = total > 0 ? { value: total, tooltip: `Trackside: ${parts.join(', ')}` } : undefined;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.subscription.dispose();
  }
}
