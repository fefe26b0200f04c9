import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { cancelQueuedRun, enqueueRun, type EnqueueOptions } from '../../core/queue/local-queue';
import { QueueRunner, type QueueSnapshot } from '../../core/queue/queue-runner';
import { QueueItemError, QueueStore } from '../../core/queue/queue-store';
import { TRACKSIDE_DIR } from '../../core/runs/protocol';
import type { Settings } from '../settings';

/**
 * The workspace's local queue as the editor sees it: one QueueRunner (only one window per
 * workspace actually starts runs; the others follow), its launchers detached so runs outlive a
 * reload, and the queue itself in `.trackside/queue.json`, so a reload loses nothing.
 */
export class QueueService implements vscode.Disposable {
  private readonly runner: QueueRunner;
  private readonly store: QueueStore;
  private readonly changeEmitter = new vscode.EventEmitter<QueueSnapshot>();
  readonly onDidChange = this.changeEmitter.event;
  private readonly disposables: vscode.Disposable[] = [this.changeEmitter];
  private started = false;
  /** A sweep's own concurrency, in force while its trials wait; the setting applies again afterwards. */
  private raisedTo: number | null = null;

  constructor(
    private readonly workspaceRoot: string,
    cliPath: string,
    private readonly settings: Settings,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.store = new QueueStore(workspaceRoot);
    this.runner = new QueueRunner({
      workspaceRoot,
      cliPath,
      // The extension host's runtime runs the CLI (Electron in desktop VS Code, hence ELECTRON_RUN_AS_NODE).
      nodePath: process.execPath,
      env: () => ({ ...process.env, ...settings.launcherEnvironment(), ELECTRON_RUN_AS_NODE: '1' }),
      concurrency: settings.queueConcurrency,
    });
    const unsubscribe = this.runner.onDidChange((snapshot) => {
      if (this.raisedTo !== null && snapshot.queued === 0) {
        this.raisedTo = null;
        this.runner.setConcurrency(this.settings.queueConcurrency);
      }
      this.changeEmitter.fire(snapshot);
    });
    this.disposables.push(
      { dispose: unsubscribe },
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.startIfWorkspaceHasRuns()),
      settings.onDidChange(['queue.concurrency'], () => {
        this.runner.setConcurrency(Math.max(this.settings.queueConcurrency, this.raisedTo ?? 0));
      }),
    );
  }

  /** Starts following the queue once the workspace has a `.trackside/` folder (nothing to run before). */
  startIfWorkspaceHasRuns(): void {
    if (existsSync(join(this.workspaceRoot, TRACKSIDE_DIR))) this.start();
  }

  private start(): void {
    if (this.started) return;
    // Queued commands come from .trackside/queue.json, which a cloned repository could carry:
    // nothing starts until the workspace is trusted (onDidGrantWorkspaceTrust starts it then).
    if (!vscode.workspace.isTrusted) return;
    this.started = true;
    this.runner.start();
    this.log.info(`Local queue runner started (concurrency ${this.runner.concurrency})`);
  }

  snapshot(): QueueSnapshot | null {
    return this.runner.snapshot();
  }

  async enqueue(options: Omit<EnqueueOptions, 'workspaceRoot'>): Promise<string> {
    const item = await enqueueRun({ ...options, workspaceRoot: this.workspaceRoot });
    this.start();
    this.runner.poke();
    return item.id;
  }

  /** Lets up to `limit` queued runs run at once until the queue has drained (a sweep's concurrency). */
  raiseConcurrencyUntilDrained(limit: number): void {
    if (limit <= this.runner.concurrency) return;
    this.raisedTo = limit;
    this.runner.setConcurrency(limit);
  }

  /** Wakes the runner (after trials were queued by someone else, e.g. a sweep launch). */
  poke(): void {
    this.start();
    this.runner.poke();
  }

  /** Takes a queued run out of the queue (it ends as killed, never started); a started one is stopped. */
  async cancel(runId: string): Promise<'dequeued' | 'stopped'> {
    const outcome = await cancelQueuedRun(this.workspaceRoot, runId);
    this.runner.poke();
    return outcome;
  }

  /** Moves a queued run `delta` places (negative: earlier). False when it is no longer waiting. */
  async move(runId: string, delta: number): Promise<boolean> {
    const queued = (await this.store.read()).items.filter((i) => i.state === 'queued');
    const position = queued.findIndex((i) => i.id === runId);
    if (position < 0) return false;
    try {
      await this.store.move(runId, Math.max(0, position + delta));
    } catch (error) {
      if (error instanceof QueueItemError) return false;
      throw error;
    }
    this.runner.poke();
    return true;
  }

  /** True while the run waits in the local queue (not yet started). */
  async isQueued(runId: string): Promise<boolean> {
    return (await this.store.read()).items.some((i) => i.id === runId && i.state === 'queued');
  }

  /** Stops starting runs (those running keep going) and hands the queue to another window. */
  async close(): Promise<void> {
    await this.runner.stop();
    this.dispose();
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
