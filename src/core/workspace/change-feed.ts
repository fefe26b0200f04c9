import { relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { DEPLOYMENTS_DIR } from '../deploy/records';
import { AUDIT_JOURNAL, MODELS_JOURNAL } from '../models/journal';
import { RUNS_DIR, TRACKSIDE_DIR } from '../runs/folder-layout';
import { TypedEmitter } from './typed-emitter';

/** What changed under `.trackside/`, as the one watcher of a workspace folder sees it. */
export type FeedEvent =
  /** `.trackside/` now exists (the first run of a new workspace). */
  | { kind: 'appeared' }
  /** Something in these run folders changed (a folder created, a file appended, a folder removed). */
  | { kind: 'runs'; runIds: string[] }
  /** A journal (models.jsonl, audit.jsonl) grew or was replaced. */
  | { kind: 'journals' }
  /** A deployment record was written or removed. */
  | { kind: 'deployments' };

const JOURNALS = new Set<string>([MODELS_JOURNAL, AUDIT_JOURNAL]);

/**
 * The single file watcher of a workspace folder. It watches the folder itself (one OS watch, so it
 * sees `.trackside/` appear) and inside `.trackside/` only what readers follow: the run folders one
 * level deep (one OS watch per run, not per file), the journals and the deployment records. The
 * index, worktrees, locks and caches are left out, so writing the index never wakes the watcher.
 *
 * Events are batched: a run's changes within `debounceMs` of its first one come as one event (the
 * delay is not reset by later changes, so a run that appends every millisecond is still reported
 * every `debounceMs`), journal and deployment changes likewise.
 */
export class ChangeFeed {
  readonly events = new TypedEmitter<FeedEvent>();
  readonly errors = new TypedEmitter<Error>();
  private readonly pendingRuns = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private watcher: FSWatcher | null = null;
  private closed = false;

  private constructor(
    private readonly root: string,
    private readonly debounceMs: number,
  ) {}

  /** Starts watching; resolves once the watcher is ready, so later changes are not missed. */
  static async start(root: string, debounceMs = 150): Promise<ChangeFeed> {
    const feed = new ChangeFeed(root, debounceMs);
    const watcher = watch(root, {
      ignoreInitial: true,
      // .trackside (0) / runs (1) / <run id> (2): the files of a run folder are reported.
      depth: 3,
      ignored: (path: string) => feed.classify(path) === null,
    });
    feed.watcher = watcher;
    watcher.on('all', (event, path) => feed.onPath(String(path), event));
    watcher.on('error', (error) => feed.errors.emit(error instanceof Error ? error : new Error(String(error))));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    return feed;
  }

  /** What a path under the workspace folder is to readers, or null for paths the feed leaves out. */
  private classify(
    path: string,
  ):
    | { kind: 'root' | 'dir' | 'runs-dir' | 'deployments-dir' }
    | { kind: 'run'; runId: string }
    | { kind: 'journal' }
    | { kind: 'deployment' }
    | null {
    const rel = relative(this.root, path);
    if (rel === '') return { kind: 'root' };
    const parts = rel.split(sep);
    if (parts[0] !== TRACKSIDE_DIR) return null;
    if (parts.length === 1) return { kind: 'dir' };
    const [, top, second, third] = parts;
    if (top === RUNS_DIR) {
      if (second === undefined) return { kind: 'runs-dir' };
      if (second.startsWith('.') || (third !== undefined && parts.length > 4)) return null;
      return { kind: 'run', runId: second };
    }
    if (top === DEPLOYMENTS_DIR) {
      if (second === undefined) return { kind: 'deployments-dir' };
      return parts.length === 3 && second.endsWith('.json') ? { kind: 'deployment' } : null;
    }
    if (top !== undefined && parts.length === 2 && JOURNALS.has(top)) return { kind: 'journal' };
    return null;
  }

  private onPath(path: string, event: string): void {
    if (this.closed) return;
    const what = this.classify(path);
    if (!what) return;
    switch (what.kind) {
      case 'dir':
        if (event === 'addDir') this.events.emit({ kind: 'appeared' });
        return;
      case 'run':
        this.pendingRuns.add(what.runId);
        this.schedule('runs', () => {
          const runIds = [...this.pendingRuns];
          this.pendingRuns.clear();
          this.events.emit({ kind: 'runs', runIds });
        });
        return;
      case 'journal':
        this.schedule('journals', () => this.events.emit({ kind: 'journals' }));
        return;
      case 'deployment':
        this.schedule('deployments', () => this.events.emit({ kind: 'deployments' }));
        return;
      default:
        return;
    }
  }

  private schedule(key: string, fire: () => void): void {
    if (this.timers.has(key)) return;
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        if (!this.closed) fire();
      }, this.debounceMs),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.watcher?.close();
  }
}
