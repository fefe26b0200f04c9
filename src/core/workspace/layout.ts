import { join } from 'node:path';
import { DEPLOYMENTS_DIR } from '../deploy/records';
import type { AUDIT_JOURNAL, MODELS_JOURNAL } from '../models/journal';
import { WORKTREES_DIR } from '../reproduce/reproduce';
import { RUNS_DIR, TRACKSIDE_DIR } from '../runs/folder-layout';
import { isRunId } from '../runs/run-id';
import { INDEX_FILE } from '../store/database';

/**
 * Where everything of one workspace lives under `.trackside/`. Only the run folders are written by
 * training processes; the rest belongs to the editor and the CLI. One place names each path, so the
 * change feed, the index and the features agree on them.
 */
export class WorkspaceLayout {
  constructor(readonly root: string) {}

  /** `.trackside/` */
  get dir(): string {
    return join(this.root, TRACKSIDE_DIR);
  }
  get runs(): string {
    return join(this.dir, RUNS_DIR);
  }
  /** A run's folder; throws for an id that is not one (a path, say), so it never leaves `runs/`. */
  runDir(runId: string): string {
    if (!isRunId(runId)) throw new RangeError(`not a run id: ${JSON.stringify(runId)}`);
    return join(this.runs, runId);
  }
  get index(): string {
    return join(this.dir, INDEX_FILE);
  }
  journal(name: typeof MODELS_JOURNAL | typeof AUDIT_JOURNAL): string {
    return join(this.dir, name);
  }
  get deployments(): string {
    return join(this.dir, DEPLOYMENTS_DIR);
  }
  get worktrees(): string {
    return join(this.dir, WORKTREES_DIR);
  }
  /** Deployment targets the CLI reads (`{"targets": [...]}`); the editor has the `trackside.targets` setting. */
  get targetsFile(): string {
    return join(this.dir, 'targets.json');
  }
  /** Slurm compute targets the CLI reads; the editor has the `trackside.compute` setting. */
  get computeFile(): string {
    return join(this.dir, 'compute.json');
  }
  get queueFile(): string {
    return join(this.dir, 'queue.json');
  }
  get queueLock(): string {
    return join(this.dir, 'queue.lock');
  }
  get queueRunnerLock(): string {
    return join(this.dir, 'queue-runner.lock');
  }
  get modelsLock(): string {
    return join(this.dir, 'models.lock');
  }
}
