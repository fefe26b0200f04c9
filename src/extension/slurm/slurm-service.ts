import { join } from 'node:path';
import * as vscode from 'vscode';
import { runsRoot } from '../../core/runs/reader';
import { readSlurmJob, type SlurmJobRecord } from '../../core/slurm/job-record';
import { SlurmMonitor, type SlurmRunSnapshot } from '../../core/slurm/monitor';
import { SlurmCommands } from '../../core/slurm/slurm-commands';
import { submitSlurmRun, type SlurmSubmission, type SlurmSubmitOptions } from '../../core/slurm/submit';

/**
 * The workspace's Slurm runs as the editor follows them: one SlurmMonitor (adaptive polling, never
 * blocking the UI), fed with the runs this window submits, the unfinished ones found at start (after
 * a reload) and any new run the index reports that has a job (submitted from a terminal or another
 * window). Its changes refresh the views; status.json changes reach the index by themselves.
 */
export class SlurmService implements vscode.Disposable {
  readonly commands = new SlurmCommands();
  private readonly monitor = new SlurmMonitor({ slurm: this.commands });
  private readonly changeEmitter = new vscode.EventEmitter<SlurmRunSnapshot>();
  readonly onDidChange = this.changeEmitter.event;
  /** Run ids already looked at for a Slurm job, so each new run is checked once. */
  private readonly seen = new Set<string>();
  /** Job records read for tooltips, by run id (the monitor's snapshots cover followed runs). */
  private readonly records = new Map<string, SlurmJobRecord | null>();
  private readonly unsubscribe: () => void;
  private started = false;

  constructor(
    private readonly workspaceRoot: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.unsubscribe = this.monitor.onDidChange((snapshot) => {
      this.records.delete(snapshot.runId);
      this.changeEmitter.fire(snapshot);
    });
  }

  /**
   * Finds the workspace's unfinished Slurm runs (e.g. after a reload) and starts following them
   * (in a trusted workspace only).
   */
  async start(): Promise<void> {
    // squeue and sacct are not run for an untrusted folder; following starts once it is trusted.
    if (this.started || !vscode.workspace.isTrusted) return;
    this.started = true;
    this.monitor.start();
    const count = await this.monitor.scan(this.workspaceRoot);
    if (count > 0) this.log.info(`Following ${count} Slurm job(s)`);
  }

  async submit(options: Omit<SlurmSubmitOptions, 'slurm' | 'workspaceRoot'>): Promise<SlurmSubmission> {
    const submitted = await submitSlurmRun({ ...options, workspaceRoot: this.workspaceRoot, slurm: this.commands });
    await this.follow(submitted.runId);
    return submitted;
  }

  /** Follows a run if it has a Slurm job that has not ended; false for any other run. */
  async follow(runId: string): Promise<boolean> {
    this.seen.add(runId);
    if (!this.started) await this.start();
    return this.monitor.track(this.runDir(runId));
  }

  /** Runs the index reports: the new ones are checked once for a Slurm job. */
  async noticeRuns(runIds: readonly string[]): Promise<void> {
    for (const runId of runIds) {
      if (this.seen.has(runId)) continue;
      this.seen.add(runId);
      if (this.started) await this.monitor.track(this.runDir(runId)).catch(() => false);
    }
  }

  /** The run's job record: the monitor's view while it follows the job, else slurm.json (null: not a Slurm run). */
  async jobOf(runId: string): Promise<SlurmJobRecord | null> {
    if (!this.records.has(runId)) this.records.set(runId, await readSlurmJob(this.runDir(runId)));
    return this.records.get(runId) ?? null;
  }

  /** What the monitor knows of a run now (followed or recently settled), synchronously for tree rows. */
  snapshotOf(runId: string): SlurmRunSnapshot | undefined {
    return this.monitor.snapshots().find((s) => s.runId === runId);
  }

  counts(): { pending: number; running: number } {
    return this.monitor.counts();
  }

  /** scancel; the run ends as killed once Slurm reports the job cancelled. */
  async cancel(runId: string): Promise<void> {
    if (!this.started) await this.start();
    await this.monitor.cancel(this.runDir(runId));
  }

  runDir(runId: string): string {
    return join(runsRoot(this.workspaceRoot), runId);
  }

  dispose(): void {
    this.monitor.stop();
    this.unsubscribe();
    this.changeEmitter.dispose();
  }
}
