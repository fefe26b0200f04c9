import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { IndexStore } from '../store/database';
import { RunFileError } from './errors';
import { ingestAnnotations } from './ingest-annotations';
import { effectiveStatus, isProcessAlive } from './ingest-status';
import { applyEventChunk, deleteRunRows, insertRunRow, updateRunStart, writeStatus } from '../store/run-rows';
import { RunFile, type RunStatus } from './protocol';
import { listRunIds, readEventsFrom, readRunInfo, readRunStatus, runsRoot } from './reader';

export type IngestOutcome =
  /** The index now reflects the folder (possibly with nothing new). */
  | 'ingested'
  /** The folder has no run.json yet: the launcher is still creating it. Retried on the next change. */
  | 'waiting'
  /** run.json is unreadable or invalid: the run is left out of the index. */
  | 'invalid'
  /** The folder is gone, so are its rows. */
  | 'removed';

export interface IngestRunResult {
  runId: string;
  outcome: IngestOutcome;
  /** True when any row of the run changed (worth telling a view about). */
  changed: boolean;
  events: number;
  malformed: number;
  /** Set when outcome is 'invalid'. */
  problem?: string;
}

export interface IngestOptions {
  /** Bytes of events.jsonl read per transaction. */
  chunkBytes?: number;
  /** Called after each committed chunk (progress, tests that interrupt ingest mid-run). */
  onChunkCommitted?: (runId: string, nextOffset: number) => void;
  isAlive?: (pid: number) => boolean;
}

/** Thrown inside the chunk callback to stop reading once another ingester is ahead of this one. */
class OvertakenSignal extends Error {}

async function fileFingerprint(path: string): Promise<string | null> {
  try {
    const info = await stat(path, { bigint: true });
    return `${info.ino}:${info.size}:${info.mtimeNs}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

async function folderExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Brings one run up to date in the index: the run row from run.json, the status from status.json,
 * and the events appended to events.jsonl since the stored offset. Safe to call from several
 * processes at once: every chunk is compared-and-set against the stored offset.
 */
export async function ingestRun(
  store: IndexStore,
  workspaceRoot: string,
  runId: string,
  options: IngestOptions = {},
): Promise<IngestRunResult> {
  const runDir = join(runsRoot(workspaceRoot), runId);
  const result: IngestRunResult = { runId, outcome: 'ingested', changed: false, events: 0, malformed: 0 };
  if (!(await folderExists(runDir))) {
    result.outcome = 'removed';
    result.changed = deleteRunRows(store, runId);
    return result;
  }

  let state = store.statements.runState.get(runId);
  if (!state) {
    try {
      // Taken before the read: a run.json replaced meanwhile then differs from it and is read again.
      const fingerprint = await fileFingerprint(join(runDir, RunFile.run));
      const info = await readRunInfo(runDir);
      if (info.id !== runId) {
        return { ...result, outcome: 'invalid', problem: `run.json names run ${info.id}, not its folder ${runId}` };
      }
      insertRunRow(store, info, fingerprint);
    } catch (error) {
      if (!(error instanceof RunFileError)) throw error;
      if (error.reason === 'unreadable' && !(await fileFingerprint(join(runDir, RunFile.run)))) {
        return { ...result, outcome: 'waiting' };
      }
      return { ...result, outcome: 'invalid', problem: error.message };
    }
    state = store.statements.runState.get(runId);
    if (!state) return { ...result, outcome: 'removed' };
    result.changed = true;
  } else if (await ingestRunInfo(store, runDir, runId, state.pk)) {
    // The host may have changed (a Slurm node adopted the run): the status check below needs the new one.
    state = store.statements.runState.get(runId) ?? state;
    result.changed = true;
  }

  result.changed = (await ingestStatus(store, runDir, runId, state.pk, state.hostname, options)) || result.changed;
  result.changed = (await ingestAnnotations(store, runDir, state.pk)) || result.changed;

  let expected = store.statements.offset.get(state.pk, RunFile.events) ?? 0;
  try {
    await readEventsFrom(
      runDir,
      expected,
      (chunk) => {
        if (!applyEventChunk(store, runId, expected, chunk)) throw new OvertakenSignal();
        expected = chunk.nextOffset;
        result.events += chunk.events.length;
        result.malformed += chunk.malformed;
        result.changed = true;
        options.onChunkCommitted?.(runId, chunk.nextOffset);
      },
      options.chunkBytes,
    );
  } catch (error) {
    if (!(error instanceof OvertakenSignal)) throw error;
    // Another ingester committed these bytes first; what it wrote is what this one would have.
    result.changed = true;
  }
  return result;
}

/** Re-reads a run.json written again since it was indexed (see updateRunStart). */
async function ingestRunInfo(store: IndexStore, runDir: string, runId: string, pk: number): Promise<boolean> {
  const fingerprint = await fileFingerprint(join(runDir, RunFile.run));
  if (fingerprint === null || fingerprint === store.statements.fingerprint.get(pk, RunFile.run)) return false;
  let info;
  try {
    info = await readRunInfo(runDir);
  } catch (error) {
    if (!(error instanceof RunFileError)) throw error;
    // A run.json that does not parse leaves the last good one in the index.
    return false;
  }
  if (info.id !== runId) return false;
  return updateRunStart(store, pk, info, fingerprint);
}

async function ingestStatus(
  store: IndexStore,
  runDir: string,
  runId: string,
  pk: number,
  hostname: string | null,
  options: IngestOptions,
): Promise<boolean> {
  const path = join(runDir, RunFile.status);
  const fingerprint = await fileFingerprint(path);
  const stored = store.statements.fingerprint.get(pk, RunFile.status) ?? null;
  const current = store.statements.runState.get(runId);
  if (!current) return false;
  // An unchanged status.json needs no re-reading, except to notice that a running process has died.
  if (fingerprint === stored && current.status !== 'running' && current.status !== 'pending') return false;
  let status: RunStatus | null = null;
  if (fingerprint !== null) {
    try {
      status = await readRunStatus(runDir);
    } catch (error) {
      if (!(error instanceof RunFileError)) throw error;
      // A status.json that does not parse leaves the last good status in place.
      return false;
    }
  }
  const next = effectiveStatus(status, hostname, options.isAlive ?? isProcessAlive);
  const unchanged =
    fingerprint === stored &&
    current.status === next.status &&
    current.message === next.message &&
    current.ended_at === next.endedAt &&
    current.exit_code === next.exitCode;
  if (unchanged) return false;
  writeStatus(store, runId, next, fingerprint);
  return true;
}

export interface IngestAllResult {
  runs: IngestRunResult[];
  /** Runs whose rows changed. */
  changed: string[];
  removed: string[];
  invalid: { runId: string; problem: string }[];
}

/** Reconciles the whole runs folder with the index: new and grown runs ingested, deleted ones removed. */
export async function ingestAll(
  store: IndexStore,
  workspaceRoot: string,
  options: IngestOptions = {},
): Promise<IngestAllResult> {
  const folderIds = await listRunIds(workspaceRoot);
  const inFolders = new Set(folderIds);
  const stale = store.statements.indexedRuns
    .all()
    .map((r) => r.id)
    .filter((id) => !inFolders.has(id));
  const runs: IngestRunResult[] = [];
  for (const runId of [...stale, ...folderIds]) runs.push(await ingestRun(store, workspaceRoot, runId, options));
  return {
    runs,
    changed: runs.filter((r) => r.changed && r.outcome === 'ingested').map((r) => r.runId),
    removed: runs.filter((r) => r.outcome === 'removed' && r.changed).map((r) => r.runId),
    invalid: runs.filter((r) => r.outcome === 'invalid').map((r) => ({ runId: r.runId, problem: r.problem ?? '' })),
  };
}
