import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runsRoot } from '../runs/reader';
import { RunFile } from '../runs/protocol';
import type { IndexStore } from '../store/database';
import { getRunDetail } from '../store/run-detail';
import { NOTE_TAG } from '../store/run-rows';
import { readAnnotations, emptyAnnotations, AnnotationsError, type RunAnnotations } from './annotations';
import { readOutputTail } from './output-tail';
import type { RunDetailView } from '../../protocol/compare';
import { paramCell } from './table';

export function runFolder(workspaceRoot: string, runId: string): string {
  return join(runsRoot(workspaceRoot), runId);
}

async function nonEmptyFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 0;
  } catch {
    return false;
  }
}

const finite = (v: number | null) => (v !== null && Number.isFinite(v) ? v : null);

/**
 * The run view's content, or null when the index does not know the run. A broken annotations.json
 * shows as empty (and `onProblem` hears why) rather than hiding the whole run.
 */
export async function loadRunDetail(
  store: IndexStore,
  workspaceRoot: string,
  runId: string,
  onProblem: (error: AnnotationsError) => void = () => undefined,
): Promise<RunDetailView | null> {
  const detail = getRunDetail(store, runId);
  if (!detail) return null;
  const dir = runFolder(workspaceRoot, runId);
  let annotations: RunAnnotations;
  try {
    annotations = await readAnnotations(dir);
  } catch (error) {
    if (!(error instanceof AnnotationsError)) throw error;
    onProblem(error);
    annotations = emptyAnnotations();
  }
  const environment = detail.environment as { interpreter?: unknown };
  return {
    id: detail.id,
    name: detail.name,
    experiment: detail.experiment,
    status: detail.status,
    createdAt: detail.createdAt,
    startedAt: detail.startedAt,
    endedAt: detail.endedAt,
    exitCode: detail.exitCode,
    message: detail.message,
    script: detail.script,
    argv: detail.argv,
    cwd: detail.cwd,
    hostname: detail.hostname,
    interpreter: typeof environment.interpreter === 'string' ? environment.interpreter : null,
    git: {
      commit: detail.gitCommit,
      branch: detail.gitBranch,
      dirty: detail.gitDirty,
      remote: detail.gitRemote,
      hasPatch: await nonEmptyFile(join(dir, RunFile.patch)),
    },
    params: detail.params.map((p) => ({ key: p.key, value: paramCell(p.text, p.number) })),
    summaries: detail.summaries.map((s) => ({
      key: s.key,
      last: finite(s.last),
      min: finite(s.min),
      max: finite(s.max),
      count: s.count,
      lastStep: s.lastStep,
    })),
    // The index holds the user's tags too (they win over the run's own): here they are the editable ones.
    loggedTags: Object.fromEntries(
      detail.tags.filter((t) => t.key !== NOTE_TAG && !(t.key in annotations.tags)).map((t) => [t.key, t.value]),
    ),
    annotations: {
      tags: annotations.tags,
      // A note the run logged itself is the starting text until the user writes their own.
      note: annotations.updatedAt === null ? (detail.note ?? '') : annotations.note,
      updatedAt: annotations.updatedAt,
    },
    artifacts: detail.artifacts,
    output: await readOutputTail(dir),
    malformedLines: detail.malformedLines,
  };
}
