import * as vscode from 'vscode';
import type { ModelSummary, ModelVersionRow } from '../../core/store/models';
import { RefusedError } from '../refusal';

/** A quick pick of every registered version; refuses when nothing is registered yet. */
export async function pickVersion(
  models: readonly ModelSummary[],
  title: string,
  placeHolder = 'Select a model version',
): Promise<ModelVersionRow | undefined> {
  const versions = models.flatMap((m) => m.versions);
  if (versions.length === 0) {
    throw new RefusedError('no-models', 'No model is registered yet: use "Trackside: Register Model" on a run first.');
  }
  const pick = await vscode.window.showQuickPick(
    versions.map((v) => ({
      row: v,
      label: `${v.name} v${v.version}`,
      description: v.aliases.join(' · '),
      detail: `${v.runName ?? v.runId} · ${v.artifactPath}`,
    })),
    { title, placeHolder },
  );
  return pick?.row;
}
