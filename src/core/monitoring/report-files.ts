import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { z } from 'zod';
import { TRACKSIDE_DIR } from '../runs/protocol';
import { MonitoringError } from './errors';
import type { DriftReport } from './report';

/** Where drift reports that asked for attention are kept: `.trackside/drift/`, one JSON file each. */
export const DRIFT_DIR = 'drift';

/**
 * Saves a report as `.trackside/drift/<target>-<name>-<time>.json` and answers its workspace-relative
 * path (the form lineage links keep). The file is the same JSON as `trackside drift --json`.
 */
export async function saveDriftReport(workspaceRoot: string, report: DriftReport): Promise<string> {
  const dir = join(workspaceRoot, TRACKSIDE_DIR, DRIFT_DIR);
  await mkdir(dir, { recursive: true });
  const who = report.deployment ? `${report.deployment.target}-${report.deployment.name}` : 'report';
  const stamp = report.generatedAt.replace(/[:.]/g, '-');
  // Target names come from settings: only the characters a file name can always hold.
  const file = join(dir, `${who.replace(/[^A-Za-z0-9._-]/g, '_')}-${stamp}.json`);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`, { flag: 'wx' }).catch(async (error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  });
  return relative(workspaceRoot, file).split(sep).join('/');
}

/** What a retrain needs from a saved report: the training run and the input it compared with. */
const SavedReportSchema = z.object({
  deployment: z.object({ runId: z.string().nullable() }).passthrough().nullable(),
  reference: z.object({ path: z.string().min(1) }).passthrough(),
});

export async function readSavedReportSource(
  workspaceRoot: string,
  path: string,
): Promise<{ runId: string | null; input: string }> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(join(workspaceRoot, ...path.split('/')), 'utf8'));
  } catch (error) {
    throw new MonitoringError('unreadable', `cannot read the drift report ${path}: ${(error as Error).message}`);
  }
  const parsed = SavedReportSchema.safeParse(json);
  if (!parsed.success) throw new MonitoringError('unreadable', `${path} is not a Trackside drift report`);
  return { runId: parsed.data.deployment?.runId ?? null, input: parsed.data.reference.path };
}
