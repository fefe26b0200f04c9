import { existsSync } from 'node:fs';
import { requireTrust } from '../trust';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { recentRunsOfScript } from '../../core/inline/script-runs';
import type { SweepDefinition } from '../../core/sweeps/definition';
import { launchSweep } from '../../core/sweeps/launch';
import { loadSweepFile, SweepFileError } from '../../core/sweeps/sweep-file';
import type { FolderService } from '../workspace/folder-service';
import type { QueueService } from '../queue/queue-service';

import { pythonInterpreterFor } from '../runs/interpreter';
import type { Settings } from '../settings';
import type { SlurmService } from '../slurm/slurm-service';
import { describeIssues, isSweepFile, type SweepDiagnostics } from './diagnostics';
import { sweepForm } from './sweep-form';
import type { SweepGroups, SweepNode } from './sweep-groups';

export interface SweepCommandDeps {
  index: FolderService;
  queue: QueueService;
  slurm: SlurmService;
  diagnostics: SweepDiagnostics;
  groups: SweepGroups;
  cliPath: string;
  settings: Settings;
}

const PYTHON = /^python(\d+(\.\d+)*)?$/;

/**
 * "Run Sweep…": a `*.sweep.json`/`.yaml` file (the one clicked or open), else the quick form, which
 * writes the sweep file next to the workspace's root (so it can be edited and launched again).
 */
export async function runSweep(deps: SweepCommandDeps, target?: unknown): Promise<void> {
  requireTrust();
  const uri = target instanceof vscode.Uri ? target : vscode.window.activeTextEditor?.document.uri;
  if (uri && isSweepFile(uri)) {
    await launchSweepFile(deps, uri);
    return;
  }
  const form = await sweepForm({
    script: uri?.scheme === 'file' && uri.fsPath.endsWith('.py') ? uri : undefined,
    knownMetrics: async (script) => {
      if (!deps.index.hasRuns()) return [];
      const runs = recentRunsOfScript(await deps.index.store(), script.fsPath, 5);
      return [...new Set(runs.flatMap((r) => [...r.summaries.keys()]))];
    },
    computeTargets: deps.settings.computeTargetNames(uri),
  });
  if (!form) return;
  const folder = vscode.workspace.getWorkspaceFolder(form.script)?.uri.fsPath ?? deps.index.root;
  const file = freeSweepPath(folder, form.definition.name ?? 'sweep');
  await writeFile(file, `${JSON.stringify(form.definition, null, 2)}\n`);
  const fileUri = vscode.Uri.file(file);
  await vscode.window.showTextDocument(fileUri, { preview: false });
  await launchSweepFile(deps, fileUri);
}

/** `<name>.sweep.json`, or `<name>-2.sweep.json`… when taken. */
function freeSweepPath(folder: string, name: string): string {
  const base = name.replace(/[^\w.-]+/g, '-');
  for (let n = 1; ; n++) {
    const candidate = path.join(folder, `${base}${n === 1 ? '' : `-${n}`}.sweep.json`);
    if (!existsSync(candidate)) return candidate;
  }
}

async function launchSweepFile(deps: SweepCommandDeps, uri: vscode.Uri): Promise<void> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open?.isDirty) await open.save();
  let definition: SweepDefinition;
  try {
    definition = await loadSweepFile(uri.fsPath);
  } catch (error) {
    if (!(error instanceof SweepFileError)) throw error;
    await deps.diagnostics.showError(uri, error);
    const text = (await vscode.workspace.openTextDocument(uri)).getText();
    const choice = await vscode.window.showErrorMessage(
      `Cannot run the sweep: ${describeIssues(uri.fsPath, error.issues, text)}`,
      'Show Problems',
    );
    if (choice === 'Show Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
    return;
  }
  const slurmTargets = definition.target === 'slurm' ? deps.settings.computeTargets(uri) : undefined;
  definition.command = await withInterpreter(definition, uri, slurmTargets, deps.settings);
  const cwd = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? deps.index.root;
  const record = await launchSweep({
    workspaceRoot: deps.index.root,
    cwd,
    definition,
    source: uri.fsPath,
    slurm: slurmTargets ? { commands: deps.slurm.commands, targets: slurmTargets, cliPath: deps.cliPath } : undefined,
  });
  const launched = record.trials.filter((t) => t.runId && !t.error);
  if (definition.target === 'slurm') {
    for (const trial of launched) await deps.slurm.follow(trial.runId!);
  } else {
    if (definition.concurrency) deps.queue.raiseConcurrencyUntilDrained(definition.concurrency);
    deps.queue.poke();
  }
  const refused = record.trials.filter((t) => t.error);
  const where = definition.target === 'slurm' ? 'submitted to Slurm' : 'queued';
  if (refused.length > 0) {
    void vscode.window.showErrorMessage(
      `Sweep ${record.name}: Slurm refused ${refused.length} of ${record.trials.length} trials: ${refused[0]!.error}`,
    );
  } else {
    vscode.window.setStatusBarMessage(`$(layers) Sweep ${record.name}: ${launched.length} trials ${where}`, 5000);
  }
  await vscode.commands.executeCommand('trackside.experiments.focus');
}

/**
 * A bare `python` in a sweep's command runs with the interpreter the user chose for Trackside
 * (as "Run Current File" does), unless a Slurm target names the interpreter on its nodes.
 */
async function withInterpreter(
  definition: SweepDefinition,
  uri: vscode.Uri,
  targets: ReturnType<Settings['computeTargets']> | undefined,
  settings: Settings,
): Promise<string[]> {
  const [program = '', ...rest] = definition.command;
  if (!PYTHON.test(program)) return definition.command;
  if (targets) {
    const names = Object.keys(targets);
    const name = definition.compute ?? (names.length === 1 ? names[0] : undefined);
    if (name && targets[name]?.interpreter) return definition.command;
  }
  return [await pythonInterpreterFor(uri, settings), ...rest];
}

/** "Compare Sweep Runs": the compare panel on every trial run of a sweep. */
export async function compareSweepRuns(groups: readonly SweepGroups[], node?: unknown): Promise<void> {
  let sweep = (node as SweepNode | undefined)?.kind === 'sweep' ? (node as SweepNode) : undefined;
  if (!sweep) {
    const all = (await Promise.all(groups.map((g) => g.all()))).flat();
    if (all.length === 0) {
      void vscode.window.showInformationMessage(
        'No sweep in this workspace yet: run one with "Trackside: Run Sweep…".',
      );
      return;
    }
    const pick = await vscode.window.showQuickPick(
      all.map((s) => ({ label: `sweep ${s.progress.name}`, description: s.experiment, sweep: s })),
      { title: 'Compare Sweep Runs' },
    );
    sweep = pick?.sweep;
  }
  if (!sweep) return;
  const runIds = sweep.progress.trials.flatMap((t) => (t.runId ? [t.runId] : []));
  await vscode.commands.executeCommand('trackside.compareRuns', runIds);
}

/** "Open Sweep File": the file a sweep was launched from. */
export async function openSweepFile(node?: unknown): Promise<void> {
  const source = (node as SweepNode | undefined)?.kind === 'sweep' ? (node as SweepNode).source : null;
  if (!source || !existsSync(source)) {
    void vscode.window.showInformationMessage('This sweep was not launched from a file that still exists.');
    return;
  }
  await vscode.window.showTextDocument(vscode.Uri.file(source));
}
