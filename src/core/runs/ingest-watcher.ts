import { mkdirSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { IndexStore } from '../store/database';
import { ingestAll, ingestRun, type IngestOptions } from './ingest';
import { runsRoot } from './reader';

export type IngestChangeKind = 'updated' | 'removed';

/** Runs whose rows changed in the index: what a view subscribes to. */
export interface IngestChange {
  kind: IngestChangeKind;
  runIds: string[];
}

type Listener<T> = (value: T) => void;

/** A tiny typed emitter: listeners run synchronously; the returned function unsubscribes. */
export class TypedEmitter<T> {
  private readonly listeners = new Set<Listener<T>>();

  on(listener: Listener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
}

export interface IngestWatcherOptions extends IngestOptions {
  /** Wait after the first change of a run before ingesting it, so a burst of appends costs one ingest. */
  debounceMs?: number;
}

/**
 * Keeps the index current while runs write: chokidar watches `.trackside/runs` two levels deep (one
 * OS watch per run folder, not per file), changes are batched per run, and runs are ingested one at a
 * time. The delay counts from a run's first change and is not reset by later ones, so a run that
 * appends every millisecond is still ingested every `debounceMs`.
 */
export class IngestWatcher {
  readonly changes = new TypedEmitter<IngestChange>();
  readonly errors = new TypedEmitter<Error>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly queue = new Set<string>();
  private draining: Promise<void> | null = null;
  private closed = false;
  private watcher: FSWatcher | null = null;

  private constructor(
    private readonly store: IndexStore,
    private readonly workspaceRoot: string,
    private readonly options: IngestWatcherOptions,
  ) {}

  /** Starts watching, then catches up with every run already on disk (changes during the catch-up are queued). */
  static async start(
    store: IndexStore,
    workspaceRoot: string,
    options: IngestWatcherOptions = {},
  ): Promise<IngestWatcher> {
    const instance = new IngestWatcher(store, workspaceRoot, options);
    const root = runsRoot(workspaceRoot);
    mkdirSync(root, { recursive: true });
    const watcher = watch(root, { depth: 1, ignoreInitial: true, awaitWriteFinish: false });
    instance.watcher = watcher;
    watcher.on('all', (_event, path) => instance.onPath(root, String(path)));
    watcher.on('error', (error) => instance.errors.emit(error instanceof Error ? error : new Error(String(error))));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    const initial = await ingestAll(store, workspaceRoot, options);
    if (initial.changed.length > 0) instance.changes.emit({ kind: 'updated', runIds: initial.changed });
    if (initial.removed.length > 0) instance.changes.emit({ kind: 'removed', runIds: initial.removed });
    return instance;
  }

  private onPath(root: string, path: string): void {
    const runId = relative(root, path).split(sep)[0];
    if (!runId || runId.startsWith('.') || runId === '..' || this.closed) return;
    if (this.timers.has(runId)) return;
    const timer = setTimeout(() => {
      this.timers.delete(runId);
      this.queue.add(runId);
      this.drain();
    }, this.options.debounceMs ?? 150);
    this.timers.set(runId, timer);
  }

  private drain(): void {
    if (this.draining || this.closed) return;
    this.draining = this.ingestQueued().finally(() => {
      this.draining = null;
      if (this.queue.size > 0 && !this.closed) this.drain();
    });
  }

  private async ingestQueued(): Promise<void> {
    const runIds = [...this.queue];
    this.queue.clear();
    const updated: string[] = [];
    const removed: string[] = [];
    for (const runId of runIds) {
      if (this.closed) return;
      try {
        const result = await ingestRun(this.store, this.workspaceRoot, runId, this.options);
        if (!result.changed) continue;
        (result.outcome === 'removed' ? removed : updated).push(runId);
      } catch (error) {
        this.errors.emit(error instanceof Error ? error : new Error(String(error)));
      }
    }
    if (updated.length > 0) this.changes.emit({ kind: 'updated', runIds: updated });
    if (removed.length > 0) this.changes.emit({ kind: 'removed', runIds: removed });
  }

  /** Stops watching and waits for the ingest in progress; the store stays open (its owner closes it). */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.watcher?.close();
    await this.draining;
  }
}
