import { RunFolder } from '../runs/folder';
import { PROTOCOL_VERSION, type ParamValue } from '../runs/protocol';
import { readRunStatus } from '../runs/reader';
import { isProcessAlive } from '../runs/ingest-status';
import { QueueStore, thisHost, type QueueItem } from './queue-store';
import { launcherArgsFor, reserveRun } from './reserved-run';

export interface EnqueueOptions {
  workspaceRoot: string;
  command: readonly string[];
  cwd: string;
  experiment?: string;
  name?: string;
  params?: Record<string, ParamValue>;
  /** Tags recorded with the run from the start (a sweep's id and trial). */
  tags?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
}

/**
 * Queues a run: its folder is created at once with status `queued` (so every view lists it), and
 * the queue runner starts it in turn through the launcher.
 */
export async function enqueueRun(options: EnqueueOptions): Promise<QueueItem> {
  const run = await reserveRun({ ...options, status: 'queued', placement: { kind: 'local', jobId: null, node: null } });
  const store = new QueueStore(options.workspaceRoot);
  const item = {
    id: run.id,
    runDir: run.folder.dir,
    command: [...options.command],
    cwd: run.cwd,
    launcherArgs: launcherArgsFor(run, options.params),
    experiment: run.info.experiment,
    name: run.info.name,
    enqueuedAt: run.info.createdAt,
  };
  await store.append(item);
  return { ...item, state: 'queued', pid: null, host: null, startedAt: null };
}

/**
 * Cancels a queued run (it leaves the queue and ends as killed, never having started) or stops a
 * running one (SIGTERM to its launcher, which stops the script and records it as killed).
 */
export async function cancelQueuedRun(workspaceRoot: string, id: string): Promise<'dequeued' | 'stopped'> {
  const store = new QueueStore(workspaceRoot);
  const removed = await store.removeQueued(id);
  if (removed) {
    const status = await readRunStatus(removed.runDir).catch(() => null);
    const now = new Date().toISOString();
    await new RunFolder(removed.runDir).writeStatus({
      version: PROTOCOL_VERSION,
      status: 'killed',
      pid: null,
      exitCode: null,
      signal: null,
      startedAt: status?.startedAt ?? removed.enqueuedAt,
      endedAt: now,
      message: 'cancelled before it started',
    });
    return 'dequeued';
  }
  const item = (await store.read()).items.find((i) => i.id === id);
  if (item?.pid && item.host === thisHost() && isProcessAlive(item.pid)) process.kill(item.pid, 'SIGTERM');
  return 'stopped';
}
