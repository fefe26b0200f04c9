import type * as vscode from 'vscode';
import { queryRuns } from '../../core/store/queries-runs';
import type { IndexService } from '../index/index-service';
import type { ExperimentsNode } from '../sidebar/tree';

/**
 * The Experiments view's badge (on the Trackside activity icon too): how many runs are running,
 * queued locally or pending on Slurm, so waiting work is visible while the view is closed.
 */
export class ActivityBadge implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly index: IndexService,
    private readonly view: vscode.TreeView<ExperimentsNode>,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscription = index.onDidChange(() => this.schedule());
    this.schedule();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.update().catch((error: unknown) => this.log.warn(`Run counts: ${(error as Error).message}`));
    }, 500);
  }

  private async update(): Promise<void> {
    if (!this.index.hasRuns()) return;
    const store = await this.index.store();
    const count = (status: string) => queryRuns(store, { status: [status], limit: 1 }).total;
    const running = count('running');
    const queued = count('queued');
    const pending = count('pending');
    const total = running + queued + pending;
    const parts = [`${running} running`, `${queued} queued`, `${pending} pending on Slurm`];
    this.view.badge = total > 0 ? { value: total, tooltip: `Trackside: ${parts.join(', ')}` } : undefined;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.subscription.dispose();
  }
}
