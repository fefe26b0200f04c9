import * as path from 'node:path';
import * as vscode from 'vscode';
import { discardReproduction, prepareReproduction, type InputCheck } from '../../core/reproduce/reproduce';
import { CommandArgs } from '../command-args';
import { executeLauncherTask } from '../runs/launch-task';
import { runFromArgumentsOrPick } from '../runs/run-picker';
import type { Services } from '../services';
import { requireTrust } from '../trust';

const short = (sha: string | null) => (sha ? sha.slice(0, 12) : '—');

function describeInput(input: InputCheck): string {
  if (input.state === 'missing') return `${input.path} is missing`;
  return `${input.path} changed (then ${short(input.then)}, now ${short(input.now)})`;
}

/**
 * "Reproduce Run": restores the run's code in a worktree, says which inputs changed since, and
 * starts the same command with the same params as a task (a real terminal, like any tracked run).
 */
export async function reproduceRun(services: Services, args: readonly unknown[]): Promise<void> {
  requireTrust();
  const target = await runFromArgumentsOrPick(services, CommandArgs.runId(args), {
    title: 'Reproduce Run',
    placeholder: 'Select the run to train again from its commit',
    filter: (runs) => runs.filter((r) => r.gitCommit !== null),
  });
  if (!target) return;
  const { folder, runId } = target;
  const root = folder.root;
  const plan = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Trackside: preparing the reproduction…' },
    () => prepareReproduction({ workspaceRoot: root, runId }),
  );
  const drifted = plan.inputs.filter((i) => i.state === 'changed' || i.state === 'missing');
  services.log.info(`Reproduction of ${runId} prepared as ${plan.runId}: ${plan.notes.join('; ')}`);
  for (const input of plan.inputs) services.log.info(`  input ${input.path}: ${input.state} (${input.source})`);
  if (drifted.length > 0) {
    const choice = await vscode.window.showWarningMessage(
      `${drifted.length} input${drifted.length === 1 ? '' : 's'} changed since the original run`,
      {
        modal: true,
        detail: `${drifted.map(describeInput).join('\n')}\n\nThe reproduction will read today's files, so its results may differ.`,
      },
      'Reproduce Anyway',
    );
    if (choice !== 'Reproduce Anyway') {
      await discardReproduction(root, plan);
      return;
    }
  }
  await executeLauncherTask(services.extensionUri, {
    scope: folder.folder,
    label: `reproduce ${plan.originalRunId}`,
    args: ['run', ...plan.launcherArgs, '--', ...plan.command],
    cwd: plan.cwd,
  });
  void vscode.window.showInformationMessage(
    `Reproducing in ${path.relative(root, plan.worktree)}` +
      (drifted.length > 0
        ? ` — ${drifted.length} input(s) differ from the original run.`
        : ' — all inputs match the original run.'),
  );
}
