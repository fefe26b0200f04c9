import { join } from 'node:path';
import { stripUrlCredentials } from '../git/remote-url';
import { readRunMetrics } from '../runs/run-metrics';
import { listRunIds, readEventsFrom, runsRoot } from '../runs/reader';
import type { ParamValue } from '../runs/protocol';
import { ModelInputError } from './errors';
import type { ModelPackInput } from './pack';

/**
 * What a run folder tells about the model it produced: params (command line and logged), the last
 * value of each metric, the git commit, and the content hashes of its data inputs — read straight
 * from the run folder, which is the truth.
 */
export type RunModelMetadata = Pick<
  ModelPackInput,
  'runId' | 'gitCommit' | 'gitDirty' | 'sourceUrl' | 'params' | 'metrics' | 'dataInputs'
> & {
  createdAt: string;
};

/** The run folder of a run id or of a unique prefix of one. */
export async function findRunDir(workspaceRoot: string, runId: string): Promise<string> {
  const ids = await listRunIds(workspaceRoot);
  const matches = ids.includes(runId) ? [runId] : ids.filter((id) => id.startsWith(runId));
  if (matches.length === 1) return join(runsRoot(workspaceRoot), matches[0]!);
  throw new ModelInputError(
    matches.length === 0
      ? `no run ${runId} in ${workspaceRoot}`
      : `"${runId}" matches several runs (${matches.slice(0, 3).join(', ')}…)`,
    matches.length === 0 ? 'list the runs with `trackside ls`' : 'give more characters of the run id',
  );
}

export async function readRunModelMetadata(runDir: string): Promise<RunModelMetadata> {
  const { info, series } = await readRunMetrics(runDir);
  const params: Record<string, ParamValue> = { ...info.params };
  const inputs = new Map<string, { path: string; sha256: string; size?: number }>();
  await readEventsFrom(runDir, 0, (chunk) => {
    for (const event of chunk.events) {
      if (event.type === 'params') Object.assign(params, event.values);
      if (event.type === 'artifact' && event.role === 'input' && event.sha256) {
        inputs.set(event.path, {
          path: event.path,
          sha256: event.sha256,
          ...(event.size === undefined ? {} : { size: event.size }),
        });
      }
    }
  });
  const metadata: RunModelMetadata = {
    runId: info.id,
    createdAt: info.createdAt,
    params,
    // The last logged value of each metric is the one the model was saved with.
    metrics: Object.fromEntries(
      [...series].flatMap(([key, points]) => (points.length ? [[key, points.at(-1)!.value]] : [])),
    ),
    dataInputs: [...inputs.values()],
  };
  if (info.git?.commit) metadata.gitCommit = info.git.commit;
  if (info.git?.dirty) metadata.gitDirty = true;
  if (info.git?.remote) metadata.sourceUrl = stripUrlCredentials(info.git.remote);
  return metadata;
}
