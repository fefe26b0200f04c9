import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TRACKSIDE_DIR } from '../runs/protocol';
import { SlurmError } from './errors';
import { parseComputeTargets, type ComputeTargets } from './target';

/** Compute targets for the CLI: `.trackside/compute.json`, the same shape as the `trackside.compute` setting. */
export function computeFilePath(workspaceRoot: string): string {
  return join(workspaceRoot, TRACKSIDE_DIR, 'compute.json');
}

export async function loadComputeTargets(path: string): Promise<ComputeTargets> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new SlurmError('bad-target', `cannot read ${path}`, (error as Error).message);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new SlurmError('bad-target', `${path} is not valid JSON`, (error as Error).message);
  }
  return parseComputeTargets(data, path);
}
