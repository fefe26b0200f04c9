import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RunFolder } from '../runs/folder';
import { PROTOCOL_VERSION, TRACKSIDE_DIR, type RunStatusValue } from '../runs/protocol';
import { readRunStatus } from '../runs/reader';
import { isProcessAlive } from '../runs/ingest-status';
import { FileLock, type LockHolder } from './file-lock';
import { QueueStore, thisHost, type QueueFile, type QueueItem } from './queue-store';

export interface QueueRunnerOptions {
  workspaceRoot: string;
  /** The bundled CLI (`dist/cli.js`) whose `run` command is the launcher. */
  cliPath: string;
  /** The Node executable that runs the CLI (from an Electron host: its binary with ELECTRON_RUN_AS_NODE=1 in env). */
  nodePath?: string;
  /** The launchers' environment, or a function asked at each launch (settings may change meanwhile). */
  env?: NodeJS.ProcessEnv | (() => NodeJS.ProcessEnv);
  /** How many queued runs may run at once (setting, default 1). */
  concurrency?: number;
  pollIntervalMs?: number;
  /** A runner whose heartbeat stopped this long ago is presumed gone and replaced. */
  staleAfterMs?: number;
}

export interface QueueItemView {
  id: string;
  runDir: string;
  name: string;
  experiment: string;
  command: string[];
  state: 'queued' | 'running';
  /** 0-based place among the queued items (null once running). */
  position: number | null;
  enqueuedAt: string;
  startedAt: string | null;
}

/** What the views show about the queue. */
export interface QueueSnapshot {
  items: QueueItemView[];
  queued: number;
  running: number;
  concurrency: number;
  /** This runner starts the runs; false while another window or process does. */
  active: boolean;
  /** The process that starts the runs, when there is one. */
  runner: Pick<LockHolder, 'pid' | 'hostname'> | null;
}

type Listener = (snapshot: QueueSnapshot) => void;

const ENDED: ReadonlySet<RunStatusValue> = new Set(['finished', 'failed', 'killed']);

/**
 * Starts queued runs in order, at most `concurrency` at once, each as a detached launcher process
 * (`node cli.js run --run-id …`) so a run outlives the window that started it. One runner per
 * workspace is active, chosen by `.trackside/queue-runner.lock`; the others stay passive and take
 * over when the active one's process dies or stops heartbeating. Runs started by an earlier runner
 * are followed through their pid and status.json.
 */
export class QueueRunner {
  private readonly store: QueueStore;
  private readonly lock: FileLock;
  private readonly listeners = new Set<Listener>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = true;
  private concurrencyLimit: number;
  private last: QueueSnapshot | null = null;

  constructor(private readonly options: QueueRunnerOptions) {
    this.store = new QueueStore(options.workspaceRoot);
    this.lock = new FileLock(join(options.workspaceRoot, TRACKSIDE_DIR, 'queue-runner.lock'), {
      staleMs: options.staleAfterMs ?? 30_000,
    });
    this.concurrencyLimit = Math.max(1, options.concurrency ?? 1);
  }

  get concurrency(): number {
    return this.concurrencyLimit;
  }

  /** Applies a changed setting; more runs start on the next tick. */
  setConcurrency(limit: number): void {
    this.concurrencyLimit = Math.max(1, Math.floor(limit));
    this.poke();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.poke();
  }

  /** Stops starting runs and gives the lock up; runs already started keep going. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
    await this.lock.release();
  }

  onDidChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): QueueSnapshot | null {
    return this.last;
  }

  /** Runs a tick now (after a run was queued, cancelled or reordered). */
  poke(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tickNow(), 0);
  }

  /** Resolves when the queue is empty: every item started and ended, or was cancelled. */
  async whenEmpty(): Promise<void> {
    for (;;) {
      if ((await this.store.read()).items.length === 0) return;
      await new Promise<void>((resolve) => {
        const off = this.onDidChange((s) => {
          if (s.items.length === 0) {
            off();
            resolve();
          }
        });
        setTimeout(() => {
          off();
          resolve();
        }, this.options.pollIntervalMs ?? 1000);
      });
    }
  }

  tickNow(): Promise<void> {
    this.ticking ??= this.tick()
      .catch(() => undefined)
      .finally(() => {
        this.ticking = null;
        if (!this.stopped) {
          if (this.timer) clearTimeout(this.timer);
          this.timer = setTimeout(() => void this.tickNow(), this.options.pollIntervalMs ?? 1000);
        }
      });
    return this.ticking;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const active = await this.lock.tryAcquire();
    let queue: QueueFile;
    if (active) {
      queue = await this.store.update(async (q) => {
        await this.settleEnded(q);
        this.startNext(q);
        return q;
      });
    } else {
      queue = await this.store.read();
    }
    const holder = await this.lock.holder();
    this.publish(queue, active, holder);
  }

  /**
   * Drops the items whose run ended; a launcher that died without a word ends its run as failed.
   * A run deleted while queued (its folder is gone) is dropped, never started nor brought back; one
   * deleted while running keeps its place until its launcher exits.
   */
  private async settleEnded(queue: QueueFile): Promise<void> {
    const kept: QueueItem[] = [];
    for (const item of queue.items) {
      const deleted = !existsSync(item.runDir);
      if (item.state === 'queued') {
        if (!deleted) kept.push(item);
        continue;
      }
      const status = await readRunStatus(item.runDir).catch(() => null);
      if (status && ENDED.has(status.status)) continue;
      const alive = item.pid !== null && (item.host !== thisHost() || isProcessAlive(item.pid));
      if (alive) {
        kept.push(item);
        continue;
      }
      if (deleted) continue;
      await new RunFolder(item.runDir).writeStatus({
        version: PROTOCOL_VERSION,
        status: 'failed',
        pid: item.pid,
        exitCode: null,
        signal: null,
        startedAt: status?.startedAt ?? item.startedAt ?? item.enqueuedAt,
        endedAt: new Date().toISOString(),
        message: 'the launcher exited without recording how the run ended',
      });
    }
    queue.items = kept;
  }

  private startNext(queue: QueueFile): void {
    let running = queue.items.filter((i) => i.state === 'running').length;
    for (const item of queue.items) {
      if (running >= this.concurrencyLimit) break;
      if (item.state !== 'queued') continue;
      const pid = this.launch(item);
      item.state = 'running';
      item.pid = pid;
      item.host = thisHost();
      item.startedAt = new Date().toISOString();
      running++;
    }
  }

  private launch(item: QueueItem): number | null {
    const args = [this.options.cliPath, 'run', '--run-id', item.id, ...item.launcherArgs, '--', ...item.command];
    const child = spawn(this.options.nodePath ?? process.execPath, args, {
      cwd: item.cwd,
      env: (typeof this.options.env === 'function' ? this.options.env() : this.options.env) ?? process.env,
      detached: true,
      stdio: 'ignore',
    });
    // A launcher that cannot start leaves no pid; the next tick ends its run as failed.
    child.on('error', () => undefined);
    child.unref();
    return child.pid ?? null;
  }

  private publish(queue: QueueFile, active: boolean, holder: LockHolder | null): void {
    let position = 0;
    const items = queue.items.map((item) => ({
      id: item.id,
      runDir: item.runDir,
      name: item.name,
      experiment: item.experiment,
      command: item.command,
      state: item.state,
      position: item.state === 'queued' ? position++ : null,
      enqueuedAt: item.enqueuedAt,
      startedAt: item.startedAt,
    }));
    const snapshot: QueueSnapshot = {
      items,
      queued: items.filter((i) => i.state === 'queued').length,
      running: items.filter((i) => i.state === 'running').length,
      concurrency: this.concurrencyLimit,
      active,
      runner: holder && !this.lock.isStale(holder) ? { pid: holder.pid, hostname: holder.hostname } : null,
    };
    const changed = JSON.stringify(snapshot) !== JSON.stringify(this.last);
    this.last = snapshot;
    if (changed) for (const listener of this.listeners) listener(snapshot);
  }
}
