import { join } from 'node:path';
import type { RunStatusValue } from '../runs/protocol';
import { listRunIds, readRunStatus, runsRoot } from '../runs/reader';
import { SlurmError } from './errors';
import { finalizeEndedJob, isTerminalRunStatus } from './job-finalizer';
import { readSlurmJob, writeSlurmJob, type SlurmJobRecord } from './job-record';
import { isActiveSlurmState, isWaitingSlurmState, shellExitCode, type SlurmJobState } from './job-state';
import type { SlurmCommands } from './slurm-commands';

/** One Slurm run as the views render it. */
export interface SlurmRunSnapshot {
  runId: string;
  runDir: string;
  jobId: string | null;
  target: string;
  /** Slurm's state (PENDING, RUNNING, COMPLETED, CANCELLED…) and its reason (Priority, Resources…). */
  state: string;
  reason: string | null;
  node: string | null;
  gpus: string | null;
  /** Exit code in the shell convention (128 + signal), once the job ended. */
  exitCode: number | null;
  /** The run's own status (status.json), which the launcher writes once the job started. */
  runStatus: RunStatusValue | null;
  /** The monitor stopped following it: the run has ended and its files say how. */
  settled: boolean;
}

export interface SlurmMonitorOptions {
  slurm: SlurmCommands;
  /** Interval while a job waits or has just started. */
  fastIntervalMs?: number;
  /** Interval while every job has been running for a while. */
  slowIntervalMs?: number;
  /** How long after a job starts polling stays fast (the launcher starts, the first metrics arrive). */
  startupWindowMs?: number;
  /** How long the launcher may take to write its own final status after the job ended. */
  launcherGraceMs?: number;
  /** Polls in a row that may miss a job before it counts as lost. */
  missedPollsAllowed?: number;
}

interface Tracked {
  runDir: string;
  record: SlurmJobRecord;
  runStatus: RunStatusValue | null;
  runningSince: number | null;
  endedSince: number | null;
  missedPolls: number;
}

type Listener = (snapshot: SlurmRunSnapshot) => void;

const MAX_SETTLED = 200;

/**
 * Follows Slurm runs until they end: one `squeue` per poll for all jobs followed (the jobcomp
 * record for jobs the controller forgot), job state written to slurm.json, runs the launcher could
 * not end ended from Slurm's outcome. Polling is fast while jobs wait or start, slow otherwise,
 * stops when nothing is followed, and never overlaps: a slow controller only delays the next poll.
 */
export class SlurmMonitor {
  private readonly tracked = new Map<string, Tracked>();
  private readonly settledRuns = new Map<string, SlurmRunSnapshot>();
  private readonly listeners = new Set<Listener>();
  private readonly waiters = new Map<string, (() => void)[]>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private running = false;
  /** The last poll's failure (controller unreachable…), cleared by the next good poll. */
  lastError: SlurmError | null = null;

  constructor(private readonly options: SlurmMonitorOptions) {}

  /** Follows the run in `runDir` if it is a Slurm run that has not ended. */
  async track(runDir: string): Promise<boolean> {
    const record = await readSlurmJob(runDir);
    if (!record?.jobId) return false;
    const status = await readRunStatus(runDir).catch(() => null);
    const runId = runDir.split(/[\\/]/).pop() ?? runDir;
    if (isTerminalRunStatus(status) && !isActiveSlurmState(record.state)) return false;
    if (!this.tracked.has(runId)) {
      this.tracked.set(runId, {
        runDir,
        record,
        runStatus: status?.status ?? null,
        runningSince: null,
        endedSince: null,
        missedPolls: 0,
      });
      this.emit(runId);
    }
    if (this.running) this.schedule(0);
    return true;
  }

  /** Finds the Slurm runs of a workspace that have not ended (after a window reload) and follows them. */
  async scan(workspaceRoot: string): Promise<number> {
    let count = 0;
    for (const id of await listRunIds(workspaceRoot)) {
      if (await this.track(join(runsRoot(workspaceRoot), id))) count++;
    }
    return count;
  }

  start(): void {
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  onDidChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Followed jobs still waiting for a node, and those running: the status bar's counts. */
  counts(): { pending: number; running: number } {
    let pending = 0;
    for (const job of this.tracked.values()) if (isWaitingSlurmState(job.record.state)) pending++;
    return { pending, running: this.tracked.size - pending };
  }

  snapshots(): SlurmRunSnapshot[] {
    return [...this.tracked.keys()].map((id) => this.snapshot(id)!).concat([...this.settledRuns.values()]);
  }

  /** Resolves once the monitor has settled the run (it ended and its files say how). */
  whenSettled(runId: string): Promise<void> {
    if (!this.tracked.has(runId)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.set(runId, [...(this.waiters.get(runId) ?? []), resolve]));
  }

  /** Cancels the run's job with scancel; the run ends as killed once Slurm reports it. */
  async cancel(runDir: string): Promise<void> {
    const record = await readSlurmJob(runDir);
    if (!record?.jobId) throw new SlurmError('no-job', `${runDir} has no Slurm job to cancel`);
    await this.options.slurm.cancel(record.jobId);
    await this.track(runDir);
    if (this.running) this.schedule(0);
  }

  /** One poll now (or the one in flight). */
  pollNow(): Promise<void> {
    this.polling ??= this.poll().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.pollNow().then(() => {
        if (this.tracked.size > 0) this.schedule(this.nextInterval());
      });
    }, delayMs);
  }

  private nextInterval(): number {
    return nextPollInterval(
      [...this.tracked.values()].map((t) => ({ state: t.record.state, ...t })),
      Date.now(),
      this.options,
    );
  }

  private async poll(): Promise<void> {
    if (this.tracked.size === 0) return;
    let jobs: SlurmJobState[];
    try {
      jobs = await this.options.slurm.jobs([...this.tracked.values()].map((t) => t.record.jobId!));
      const known = new Set(jobs.map((job) => job.jobId));
      const forgotten = [...this.tracked.values()].map((t) => t.record.jobId!).filter((id) => !known.has(id));
      if (forgotten.length > 0) jobs = jobs.concat(await this.options.slurm.completedJobs(forgotten).catch(() => []));
      this.lastError = null;
    } catch (error) {
      this.lastError = error instanceof SlurmError ? error : new SlurmError('query-failed', String(error));
      return;
    }
    const byId = new Map(jobs.map((job) => [job.jobId, job]));
    for (const [runId, tracked] of [...this.tracked]) {
      await this.update(runId, tracked, byId.get(tracked.record.jobId!) ?? null).catch(() => undefined);
    }
  }

  private async update(runId: string, tracked: Tracked, job: SlurmJobState | null): Promise<void> {
    const status = await readRunStatus(tracked.runDir).catch(() => null);
    tracked.runStatus = status?.status ?? null;
    if (!job) {
      tracked.missedPolls++;
      if (tracked.missedPolls <= (this.options.missedPollsAllowed ?? 3)) return;
      job = {
        jobId: tracked.record.jobId!,
        state: 'LOST',
        reason: 'the scheduler no longer knows this job',
        node: tracked.record.node,
        exitCode: null,
        signal: null,
      };
    }
    tracked.missedPolls = 0;
    const record: SlurmJobRecord = {
      ...tracked.record,
      state: job.state,
      reason: job.reason,
      node: job.node ?? tracked.record.node,
      exitCode: isActiveSlurmState(job.state) ? null : shellExitCode(job),
      signal: isActiveSlurmState(job.state) ? null : job.signal,
    };
    if (changed(tracked.record, record)) {
      tracked.record = { ...record, updatedAt: new Date().toISOString() };
      await writeSlurmJob(tracked.runDir, tracked.record);
      this.emit(runId);
    }
    if (job.state === 'RUNNING' && tracked.runningSince === null) tracked.runningSince = Date.now();
    if (isActiveSlurmState(job.state)) return;

    tracked.endedSince ??= Date.now();
    const launcherStarted = status?.status === 'running';
    const graceOver = Date.now() - tracked.endedSince >= (this.options.launcherGraceMs ?? 5000);
    if (!isTerminalRunStatus(status)) {
      // A launcher that started writes its own ending (with the script's exit code) as it exits.
      if (launcherStarted && !graceOver) return;
      await finalizeEndedJob(tracked.runDir, job, tracked.record.outputFile);
      tracked.runStatus = (await readRunStatus(tracked.runDir).catch(() => null))?.status ?? null;
    }
    this.settle(runId);
  }

  private settle(runId: string): void {
    const snapshot = this.snapshot(runId);
    this.tracked.delete(runId);
    if (snapshot) {
      snapshot.settled = true;
      this.settledRuns.set(runId, snapshot);
      // Ended runs are read from their folders; only the latest few are kept for the views.
      if (this.settledRuns.size > MAX_SETTLED) this.settledRuns.delete(this.settledRuns.keys().next().value!);
      for (const listener of this.listeners) listener(snapshot);
    }
    for (const resolve of this.waiters.get(runId) ?? []) resolve();
    this.waiters.delete(runId);
  }

  private snapshot(runId: string): SlurmRunSnapshot | null {
    const tracked = this.tracked.get(runId);
    if (!tracked) return this.settledRuns.get(runId) ?? null;
    const { record } = tracked;
    return {
      runId,
      runDir: tracked.runDir,
      jobId: record.jobId,
      target: record.target,
      state: record.state,
      reason: record.reason,
      node: record.node,
      gpus: record.gpus,
      exitCode: record.exitCode,
      runStatus: tracked.runStatus,
      settled: false,
    };
  }

  private emit(runId: string): void {
    const snapshot = this.snapshot(runId);
    if (snapshot) for (const listener of this.listeners) listener(snapshot);
  }
}

/** What the poll interval depends on, for one followed job. */
export interface PolledJob {
  state: string;
  runningSince: number | null;
  endedSince: number | null;
  missedPolls: number;
}

/**
 * Fast while any job waits for a node, has just started (the launcher is starting, first metrics
 * arrive), has ended but is not settled, or went missing; slow once every job has run for a while.
 */
export function nextPollInterval(
  jobs: readonly PolledJob[],
  now: number,
  options: Pick<SlurmMonitorOptions, 'fastIntervalMs' | 'slowIntervalMs' | 'startupWindowMs'>,
): number {
  const fast = options.fastIntervalMs ?? 1000;
  const slow = options.slowIntervalMs ?? 10_000;
  const window = options.startupWindowMs ?? 15_000;
  for (const job of jobs) {
    if (isWaitingSlurmState(job.state) || job.endedSince !== null || job.missedPolls > 0) return fast;
    if (job.runningSince === null || now - job.runningSince < window) return fast;
  }
  return slow;
}

function changed(a: SlurmJobRecord, b: SlurmJobRecord): boolean {
  return a.state !== b.state || a.reason !== b.reason || a.node !== b.node || a.exitCode !== b.exitCode;
}
