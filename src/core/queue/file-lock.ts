import { isProcessAlive } from '../runs/ingest-status';
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { z } from 'zod';
import { UserError } from '../user-error';

const LockContentSchema = z.object({
  pid: z.number().int(),
  hostname: z.string(),
  token: z.string(),
  acquiredAt: z.number(),
  heartbeatAt: z.number(),
});
export type LockHolder = z.infer<typeof LockContentSchema>;

export interface FileLockOptions {
  /** A holder whose heartbeat is older than this is presumed dead (another host, a frozen process). */
  staleMs: number;
}

/**
 * A lock file shared by processes that may die holding it (editor windows, CLI runs). Taken with
 * link(2), which fails when the file exists; a holder whose pid is gone on this host, or whose
 * heartbeat stopped, is stale and replaced. Holders re-check their token on each heartbeat, so in
 * the rare race where two processes replace the same stale lock, one notices and steps down.
 */
export class FileLock {
  private readonly token = randomBytes(8).toString('hex');
  private held = false;

  constructor(
    readonly path: string,
    private readonly options: FileLockOptions,
  ) {}

  get isHeld(): boolean {
    return this.held;
  }

  async tryAcquire(): Promise<boolean> {
    if (this.held) return this.heartbeat();
    for (let attempt = 0; attempt < 2; attempt++) {
      const temp = `${this.path}.${this.token}.tmp`;
      await writeFile(temp, JSON.stringify(this.content(Date.now())));
      try {
        await link(temp, this.path);
        this.held = true;
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      } finally {
        await unlink(temp).catch(() => undefined);
      }
      const holder = await this.holder();
      if (holder && !this.isStale(holder)) return false;
      await unlink(this.path).catch(() => undefined);
    }
    return false;
  }

  /** Refreshes the heartbeat; false (and the lock counts as lost) when another process holds it now. */
  async heartbeat(): Promise<boolean> {
    if (!this.held) return false;
    const holder = await this.holder();
    if (holder?.token !== this.token) {
      this.held = false;
      return false;
    }
    const temp = `${this.path}.${this.token}.tmp`;
    await writeFile(temp, JSON.stringify({ ...holder, heartbeatAt: Date.now() }));
    await rename(temp, this.path);
    return true;
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    const holder = await this.holder();
    if (holder?.token === this.token) await unlink(this.path).catch(() => undefined);
  }

  /** Who holds the lock now, or null when nobody (or the file is unreadable). */
  async holder(): Promise<LockHolder | null> {
    try {
      const parsed = LockContentSchema.safeParse(JSON.parse(await readFile(this.path, 'utf8')));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  isStale(holder: LockHolder): boolean {
    if (holder.hostname === hostname() && !isProcessAlive(holder.pid)) return true;
    return Date.now() - holder.heartbeatAt > this.options.staleMs;
  }

  private content(now: number): LockHolder {
    return { pid: process.pid, hostname: hostname(), token: this.token, acquiredAt: now, heartbeatAt: now };
  }
}

/** Runs `fn` holding the lock, waiting for it up to `timeoutMs`. */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const lock = new FileLock(path, { staleMs: 30_000 });
  const deadline = Date.now() + timeoutMs;
  while (!(await lock.tryAcquire())) {
    if (Date.now() > deadline) throw new QueueLockTimeoutError(path, await lock.holder());
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

export class QueueLockTimeoutError extends UserError {
  readonly reason = 'lock-timeout';
  constructor(
    readonly path: string,
    readonly holder: LockHolder | null,
  ) {
    super(`${path} is held by process ${holder?.pid ?? '?'} on ${holder?.hostname ?? '?'}`);
    this.name = 'QueueLockTimeoutError';
  }
}
