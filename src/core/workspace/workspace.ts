import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { syncJournals } from '../models/journal-sync';
import { ModelRegistry } from '../models/model-registry';
import { ingestAll, ingestRun, type IngestAllResult, type IngestOptions } from '../runs/ingest';
import { isRunId } from '../runs/run-id';
import { IndexStore } from '../store/database';
import { activeRunIds, indexedRunIds, runCount } from '../store/runs';
import { ChangeFeed } from './change-feed';
import { WorkspaceLayout } from './layout';
import { TypedEmitter } from './typed-emitter';

/** Runs whose rows changed in the index. */
export interface RunsChange {
  kind: 'updated' | 'removed';
  runIds: string[];
}

export interface WorkspaceOptions extends IngestOptions {
  /** How long a burst of changes is gathered before it is ingested (ms). */
  debounceMs?: number;
  /** How often runs the index holds as running are checked again (ms; default 1000, 0: never). */
  livenessMs?: number;
}

/**
 * Brings a freshly opened index up to date: every run folder, then the journals. The one place the
 * CLI and the editor catch up from, so no reader ever has to.
 */
export async function catchUp(store: IndexStore, root: string, options: IngestOptions = {}): Promise<IngestAllResult> {
  const result = await ingestAll(store, root, options);
  syncJournals(store, root);
  return result;
}

/**
 * A model registry whose writes reach `store` before each call returns (for the CLI and tests;
 * the editor asks its {@link Workspace}, which also tells its subscribers).
 */
export function modelRegistryOver(
  store: IndexStore,
  root: string,
  options: { actor?: () => Promise<string>; afterSync?: (applied: number) => void } = {},
): ModelRegistry {
  return new ModelRegistry(root, {
    actor: options.actor,
    afterWrite: () => {
      const { applied } = syncJournals(store, root);
      options.afterSync?.(applied);
    },
  });
}

/**
 * One workspace folder's Trackside state: the layout of `.trackside/`, the index (a cache of the run
 * folders and journals), and one change feed. The feed's events are applied to the index here —
 * run folders ingested, journals synced — and then told to subscribers as runs / models /
 * deployments changes, so readers subscribe instead of pulling. Nothing is created in a folder
 * without `.trackside/` until a run appears (or something is written on purpose).
 */
export class Workspace {
  readonly layout: WorkspaceLayout;
  readonly runs = new TypedEmitter<RunsChange>();
  readonly models = new TypedEmitter<void>();
  readonly deployments = new TypedEmitter<void>();
  /** `.trackside/` appeared in a folder that had none. */
  readonly appeared = new TypedEmitter<void>();
  readonly errors = new TypedEmitter<Error>();
  private opening: Promise<IndexStore> | undefined;
  private store: IndexStore | undefined;
  private readonly queued = new Set<string>();
  private draining: Promise<void> | null = null;
  private closed = false;
  private liveness: NodeJS.Timeout | undefined;

  private constructor(
    readonly root: string,
    private readonly feed: ChangeFeed,
    private readonly options: WorkspaceOptions,
  ) {
    this.layout = new WorkspaceLayout(root);
    feed.errors.on((error) => this.errors.emit(error));
    feed.events.on((event) => {
      if (event.kind === 'appeared') this.appeared.emit();
      // Until the index is open there is nothing to keep current: opening catches up with everything.
      if (!this.store || this.closed) return;
      if (event.kind === 'runs') this.ingest(event.runIds);
      else if (event.kind === 'journals') this.syncJournals();
      else if (event.kind === 'deployments') this.deployments.emit();
    });
  }

  /** Starts following a workspace folder (cheap: one watcher); the index opens on first use. */
  static async watch(root: string, options: WorkspaceOptions = {}): Promise<Workspace> {
    return new Workspace(root, await ChangeFeed.start(root, options.debounceMs), options);
  }

  /** True once the index is open and caught up. */
  get isOpen(): boolean {
    return this.store !== undefined;
  }

  /** True once the folder has a `.trackside/`, i.e. something to index. */
  hasRuns(): boolean {
    return existsSync(this.layout.dir);
  }

  /** The index, opened (created if needed), caught up with the run folders and journals on first call. */
  index(): Promise<IndexStore> {
    this.opening ??= this.open().catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    return this.opening;
  }

  private async open(): Promise<IndexStore> {
    mkdirSync(this.layout.runs, { recursive: true });
    const store = IndexStore.open(this.layout.index);
    try {
      const initial = await catchUp(store, this.root, this.options);
      this.store = store;
      this.followLiveness();
      if (initial.changed.length > 0) this.runs.emit({ kind: 'updated', runIds: initial.changed });
      if (initial.removed.length > 0) this.runs.emit({ kind: 'removed', runIds: initial.removed });
      return store;
    } catch (error) {
      store.close();
      throw error;
    }
  }

  /**
   * The model registry of this folder; what it writes reaches the index (and the `models`
   * subscribers) before its call returns.
   */
  async modelRegistry(actor?: () => Promise<string>): Promise<ModelRegistry> {
    return modelRegistryOver(await this.index(), this.root, {
      actor,
      afterSync: (applied) => {
        if (applied > 0) this.models.emit();
      },
    });
  }

  /**
   * Re-reads these runs' folders now and tells subscribers, changed or not: a command that just
   * wrote a run's annotations, or deleted its folder and rows, wants the views current at once.
   */
  async refreshRuns(runIds: string[]): Promise<void> {
    const store = await this.index();
    const updated: string[] = [];
    const removed: string[] = [];
    for (const runId of runIds) {
      const result = await ingestRun(store, this.root, runId, this.options);
      (result.outcome === 'removed' ? removed : updated).push(runId);
    }
    if (updated.length > 0) this.runs.emit({ kind: 'updated', runIds: updated });
    if (removed.length > 0) this.runs.emit({ kind: 'removed', runIds: removed });
  }

  /** Applies the journals, then tells subscribers (another process sharing the index may have applied them). */
  private syncJournals(): void {
    if (!this.store) return;
    try {
      syncJournals(this.store, this.root);
      this.models.emit();
    } catch (error) {
      this.errors.emit(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private ingest(runIds: readonly string[]): void {
    for (const id of runIds) this.queued.add(id);
    if (this.draining || this.closed) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.queued.size > 0 && !this.closed) this.ingest([]);
    });
  }

  /**
   * A run's end is written once, to status.json, and a watcher can miss that one write (an atomic
   * rename, a full inotify queue, a network filesystem); a process can also die without writing it.
   * So every second the runs the index holds as running or pending are read again (a stat each when
   * nothing changed), and subscribers are told only of those that did: the views and the status bar
   * follow a run's end within about a second whatever the watcher saw. A run folder the watcher
   * never reported (created inside a folder that had just appeared, say) is found the same way,
   * when the folders outnumber the runs indexed.
   */
  private followLiveness(): void {
    const interval = this.options.livenessMs ?? 1000;
    if (interval <= 0) return;
    this.liveness = setInterval(() => {
      const store = this.store;
      if (!store || this.closed || this.draining) return;
      const active = [...activeRunIds(store), ...this.unindexedRuns(store)];
      if (active.length === 0) return;
      this.draining = this.recheck(store, active).finally(() => {
        this.draining = null;
        if (this.queued.size > 0 && !this.closed) this.ingest([]);
      });
    }, interval);
    this.liveness.unref?.();
  }

  private unindexedRuns(store: IndexStore): string[] {
    let folders: string[];
    try {
      folders = readdirSync(this.layout.runs).filter(isRunId);
    } catch {
      return [];
    }
    if (folders.length <= runCount(store)) return [];
    const indexed = indexedRunIds(store);
    return folders.filter((id) => !indexed.has(id));
  }

  private async recheck(store: IndexStore, runIds: readonly string[]): Promise<void> {
    const updated: string[] = [];
    for (const runId of runIds) {
      if (this.closed) return;
      try {
        const result = await ingestRun(store, this.root, runId, this.options);
        if (result.changed) updated.push(runId);
      } catch (error) {
        this.errors.emit(error instanceof Error ? error : new Error(String(error)));
      }
    }
    if (updated.length > 0) this.runs.emit({ kind: 'updated', runIds: updated });
  }

  /** Runs are ingested one at a time, in the order their changes came. */
  private async drain(): Promise<void> {
    const store = this.store;
    if (!store) return;
    const runIds = [...this.queued];
    this.queued.clear();
    const updated: string[] = [];
    const removed: string[] = [];
    for (const runId of runIds) {
      if (this.closed) return;
      try {
        // Told even when nothing changed here: another window (or the CLI) sharing the index may
        // have ingested these lines first, and this window's views still have to show them.
        const result = await ingestRun(store, this.root, runId, this.options);
        if (result.outcome === 'removed') removed.push(runId);
        else if (result.outcome === 'ingested') updated.push(runId);
      } catch (error) {
        this.errors.emit(error instanceof Error ? error : new Error(String(error)));
      }
    }
    if (updated.length > 0) this.runs.emit({ kind: 'updated', runIds: updated });
    if (removed.length > 0) this.runs.emit({ kind: 'removed', runIds: removed });
  }

  /** Stops the watcher, waits for the ingest in progress, and closes the index. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.liveness);
    await this.feed.close();
    await this.draining;
    const opened = await this.opening?.catch(() => undefined);
    opened?.close();
  }
}
