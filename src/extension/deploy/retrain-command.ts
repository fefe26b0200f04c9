import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DeploymentRecord } from '../../core/deploy/records';
import { readSavedReportSource, saveDriftReport } from '../../core/monitoring/report-files';
import { prepareReproduction } from '../../core/reproduce/reproduce';
import { RefusedError } from '../refusal';
import { executeLauncherTask } from '../runs/launch-task';
import { requireTrust } from '../trust';
import type { DeploymentService } from './deployment-service';

/**
 * "Retrain on New Data": the training run of the model a deployment serves, again from its commit
 * with its params, its data input pointed at a file the user picks, as a tracked run linked to the
 * original (retrained-from) and to the drift report that asked for it. `reportPath` is that report
 * (saved by a drift warning); without one, the deployment's drift is checked now and saved.
 */
export async function retrainDeployment(
  extensionUri: vscode.Uri,
  service: DeploymentService,
  record: DeploymentRecord,
  reportPath: string | undefined,
): Promise<void> {
  requireTrust();
  const root = service.workspaceRoot;
  const report =
    reportPath ??
    (await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Trackside: checking the drift of ${record.name}…` },
      async () => saveDriftReport(root, await service.drift(record)),
    ));
  const source = await readSavedReportSource(root, report);
  if (!source.runId) {
    throw new RefusedError(
      'no-training-run',
      `The model ${record.name} serves was not trained in this workspace: retrain it where its run is.`,
    );
  }
  const picked = await vscode.window.showOpenDialog({
    title: `Retrain on New Data: the file to train on instead of ${source.input}`,
    openLabel: 'Retrain',
    canSelectMany: false,
    defaultUri: vscode.Uri.file(path.dirname(path.resolve(root, source.input))),
    filters: { Data: [path.extname(source.input).slice(1) || '*'], 'All files': ['*'] },
  });
  const replacement = picked?.[0];
  if (!replacement) return;
  const plan = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Trackside: preparing the retrain…' },
    () =>
      prepareReproduction({
        workspaceRoot: root,
        runId: source.runId!,
        retrain: { input: source.input, replacement: replacement.fsPath, driftReport: report, deploymentId: record.id },
      }),
  );
  await executeLauncherTask(extensionUri, {
    scope: service.workspaceFolder,
    label: `retrain ${plan.originalRunId}`,
    args: ['run', ...plan.launcherArgs, '--', ...plan.command],
    cwd: plan.cwd,
  });
  void vscode.window.showInformationMessage(
    `Retraining on ${path.basename(replacement.fsPath)} from the commit of run ${plan.originalRunId} ` +
      `in ${path.relative(root, plan.worktree)}.`,
  );
}
