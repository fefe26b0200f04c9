import { readFile, mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../runs/atomic-write';
import { RUNS_DIR, TRACKSIDE_DIR } from '../runs/protocol';
import { isRunId } from '../runs/run-id';
import { withFileLock } from './file-lock';
import { UserError } from '../user-error';

export const QueueItemSchema = z.object({
  /** The run id: the queued run's folder exists from the moment it is queued. */
  id: z.string().refine(isRunId, 'a queued run id is a run folder name'),
  runDir: z.string(),
  command: z.array(z.string()).min(1),
  cwd: z.string(),
  /** Launcher options before `--` (workspace, experiment, name, params). */
  launcherArgs: z.array(z.string()),
  experiment: z.string(),
  name: z.string(),
  enqueuedAt: z.string(),
  /** `running` once the launcher process was started for it. */
  state: z.enum(['queued', 'running']),
  /** The launcher's pid (never 0, 1 or negative: those would name a process group or init). */
  pid: z.number().int().gt(1).nullable(),
  host: z.string().nullable(),
  startedAt: z.string().nullable(),
});
export type QueueItem = z.infer<typeof QueueItemSchema>;

export const QueueFileSchema = z.object({
  version: z.literal(1),
  items: z.array(QueueItemSchema),
});
export type QueueFile = z.infer<typeof QueueFileSchema>;

export class QueueFileError extends UserError {
  readonly reason = 'invalid';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path} is damaged: ${detail} — fix or delete it (the queued runs' folders stay)`);
    this.name = 'QueueFileError';
  }
}

/**
 * The local queue, in `.trackside/queue.json`: it outlives editor windows and CLI processes. Every
 * change is a read-modify-write under `.trackside/queue.lock`, so two windows (or a window and the
 * CLI) never lose each other's changes. Items leave the queue when their run ends.
 */
export class QueueStore {
  readonly path: string;
  readonly lockPath: string;

  constructor(readonly workspaceRoot: string) {
    this.path = join(workspaceRoot, TRACKSIDE_DIR, 'queue.json');
    this.lockPath = join(workspaceRoot, TRACKSIDE_DIR, 'queue.lock');
  }

  private get runsDir(): string {
    return join(resolve(this.workspaceRoot), TRACKSIDE_DIR, RUNS_DIR);
  }

  async read(): Promise<QueueFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, items: [] };
      throw error;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new QueueFileError(this.path, (error as Error).message);
    }
    const parsed = QueueFileSchema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new QueueFileError(this.path, issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid');
    }
    // The runner writes status.json into runDir: it must be the item's own folder under .trackside/runs.
    const stray = parsed.data.items.find((item) => resolve(item.runDir) !== join(this.runsDir, item.id));
    if (stray)
      throw new QueueFileError(
        this.path,
        `run ${stray.id} names ${stray.runDir}, not its folder ${join(this.runsDir, stray.id)}`,
      );
    return parsed.data;
  }

  /** Applies `change` to the current queue under the lock and saves the result. */
  async update<T>(change: (queue: QueueFile) => T | Promise<T>): Promise<T> {
    await mkdir(join(this.workspaceRoot, TRACKSIDE_DIR), { recursive: true });
    return withFileLock(this.lockPath, async () => {
      const queue = await this.read();
      const result = await change(queue);
      await writeJsonAtomic(this.path, queue);
      return result;
    });
  }

  async append(item: Omit<QueueItem, 'state' | 'pid' | 'host' | 'startedAt'>): Promise<void> {
    await this.update((queue) => {
      queue.items.push({ ...item, state: 'queued', pid: null, host: null, startedAt: null });
    });
  }

  /** Moves a queued item to `position` among the queued items (0 = next to start). */
  async move(id: string, position: number): Promise<void> {
    await this.update((queue) => {
      const item = queue.items.find((i) => i.id === id);
      if (!item) throw new QueueItemError(id, 'not-found');
      if (item.state !== 'queued') throw new QueueItemError(id, 'already-started');
      const others = queue.items.filter((i) => i !== item);
      const queued = others.filter((i) => i.state === 'queued');
      const clamped = Math.max(0, Math.min(position, queued.length));
      const before = queued[clamped];
      const index = before ? others.indexOf(before) : others.length;
      others.splice(index, 0, item);
      queue.items = others;
    });
  }

  /** Removes a queued item and returns it; null when it already started (cancel then stops its run). */
  async removeQueued(id: string): Promise<QueueItem | null> {
    return this.update((queue) => {
      const item = queue.items.find((i) => i.id === id);
      if (!item) throw new QueueItemError(id, 'not-found');
      if (item.state !== 'queued') return null;
      queue.items = queue.items.filter((i) => i !== item);
      return item;
    });
  }
}

export class QueueItemError extends UserError {
  constructor(
    readonly itemId: string,
    readonly reason: 'not-found' | 'already-started',
  ) {
    super(reason === 'not-found' ? `no queued run ${itemId}` : `run ${itemId} has already started`);
    this.name = 'QueueItemError';
  }
}

export function thisHost(): string {
  return hostname();
}
