import * as vscode from 'vscode';
import { z } from 'zod';
import { SlurmError } from '../../core/slurm/errors';
import { parseComputeTargets, type ComputeTargets } from '../../core/slurm/target';

/** One entry of `trackside.compute`: a Slurm target with the name the pickers show. */
const ComputeEntrySchema = z.object({ name: z.string().min(1) }).passthrough();

/**
 * The Slurm compute targets of `trackside.compute` (an array of `{name, partition, …}`), validated
 * by the same schema the CLI's `.trackside/compute.json` uses. A bad entry throws a SlurmError
 * naming the setting, the entry and the field.
 */
export function computeTargetsFromSettings(scope?: vscode.Uri): ComputeTargets {
  const raw = vscode.workspace.getConfiguration('trackside', scope).get<unknown>('compute', []);
  const entries = z.array(ComputeEntrySchema).safeParse(raw ?? []);
  if (!entries.success) {
    throw new SlurmError('bad-target', 'trackside.compute must be a list of targets, each with a "name"');
  }
  const byName: Record<string, unknown> = {};
  for (const { name, ...target } of entries.data) {
    if (name in byName) throw new SlurmError('bad-target', `trackside.compute: two targets are named "${name}"`);
    byName[name] = target;
  }
  return parseComputeTargets(byName, 'trackside.compute');
}

/** Target names, or none when the setting is empty or invalid (the CodeLens and menus hide then). */
export function computeTargetNames(scope?: vscode.Uri): string[] {
  try {
    return Object.keys(computeTargetsFromSettings(scope));
  } catch {
    return [];
  }
}
