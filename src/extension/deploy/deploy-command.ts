import * as vscode from 'vscode';
import type { OperationOptions } from '../../core/deploy/deployer';
import { DeployError, DeploymentFailedError } from '../../core/deploy/errors';
import type { DeploymentRecord } from '../../core/deploy/records';
import { DeploymentNameSchema, type TargetConfig } from '../../core/deploy/targets-config';
import type { DeploymentService } from './deployment-service';

import type { PushedVersion } from './push-pick';
import { describeTarget, TARGETS_SETTING } from './targets-setting';
import { servedVersion, suggestedDeploymentName } from './deployment-labels';
import { RefusedError } from '../refusal';
import { requireTrust } from '../trust';

export const DeployCommands = {
  deploy: 'trackside.deployModel',
  sendTestRequest: 'trackside.sendTestRequest',
  showLogs: 'trackside.showDeploymentLogs',
  rollback: 'trackside.rollbackDeployment',
  undeploy: 'trackside.undeployDeployment',
  refresh: 'trackside.refreshDeployments',
  configureTargets: 'trackside.configureDeployTargets',
} as const;

export const DEPLOYMENTS_VIEW_ID = 'trackside.deployments';

/** Shows the reason, the next step and a way to the last log lines of a failed deployment step. */
export async function reportDeployFailure(
  what: string,
  error: DeploymentFailedError | DeployError,
  showLogs: (recordId: string) => Promise<void>,
): Promise<void> {
  const recordId = error instanceof DeploymentFailedError ? error.recordId : undefined;
  const cleanup =
    error instanceof DeploymentFailedError && error.cleanupFailed
      ? ` Removing what it created also failed (${error.cleanupFailed}): check the target by hand.`
      : '';
  const message = error instanceof DeploymentFailedError ? error.error.message : error.message;
  const actions = recordId ? ['Show Logs'] : [];
  const choice = await vscode.window.showErrorMessage(
    `${what} failed: ${message}. ${error.nextStep}${cleanup}`,
    ...actions,
  );
  if (choice === 'Show Logs' && recordId) await showLogs(recordId);
}

/** Offers to open the setting when no target is configured; returns the targets otherwise. */
async function requireTargets(service: DeploymentService): Promise<readonly TargetConfig[] | undefined> {
  if (service.targets.length > 0) return service.targets;
  const problems = service.problems.length;
  const choice = await vscode.window.showWarningMessage(
    problems > 0
      ? `No usable deployment target: ${TARGETS_SETTING} has ${problems} problem${problems === 1 ? '' : 's'} (${service.problems[0]}).`
      : `No deployment target is configured. Add a Podman API, an SSH host or a KServe target to ${TARGETS_SETTING}.`,
    'Configure Targets',
  );
  if (choice === 'Configure Targets') await vscode.commands.executeCommand(DeployCommands.configureTargets);
  return undefined;
}

async function pickTarget(targets: readonly TargetConfig[], push: PushedVersion): Promise<TargetConfig | undefined> {
  const pick = await vscode.window.showQuickPick(
    targets.map((target) => ({ target, label: target.name, description: describeTarget(target) })),
    {
      title: `Deploy ${push.name} v${push.version}: pick a target`,
      placeHolder: `Where should ${push.name} v${push.version} serve?`,
    },
  );
  return pick?.target;
}

async function askName(
  service: DeploymentService,
  target: TargetConfig,
  push: PushedVersion,
): Promise<string | undefined> {
  const replacing = (name: string) => service.store.current(target.name, name);
  const value = suggestedDeploymentName(push.name);
  // VS Code shows validateInput's result only once the value changes, never for the proposed one, so
  // the prompt itself says when the proposed name already serves a version.
  const taken = replacing(value);
  const name = await vscode.window.showInputBox({
    title: `Deploy ${push.name} v${push.version} to ${target.name}`,
    prompt: taken
      ? `Deployment name: ${value} serves ${servedVersion(taken).label} now; deploying under it replaces that version (and can be rolled back)`
      : 'Deployment name: the same name again replaces the version serving under it (and can be rolled back)',
    value,
    validateInput: (text) => {
      const parsed = DeploymentNameSchema.safeParse(text.trim());
      if (!parsed.success) return parsed.error.issues[0]?.message ?? 'not a valid name';
      const current = replacing(text.trim());
      return current
        ? {
            message: `Replaces ${servedVersion(current).label}, which serves as ${text.trim()} now`,
            severity: vscode.InputBoxValidationSeverity.Info,
          }
        : undefined;
    },
  });
  return name?.trim();
}

/** A deployment step under a cancellable progress notification; the Deployer reports each step. */
export function withDeployProgress<T>(title: string, run: (options: OperationOptions) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    (progress, token) => {
      const abort = new AbortController();
      const subscription = token.onCancellationRequested(() => abort.abort());
      return run({
        signal: abort.signal,
        onProgress: (step) => progress.report({ message: step.message }),
      }).finally(() => subscription.dispose());
    },
  );
}

/**
 * "Deploy…": pick a target and a name, then pull, start and health-check with progress. A failure
 * is shown with its reason, next step and last log lines, and stays in the view as failed.
 */
export async function deployPush(
  service: DeploymentService,
  push: PushedVersion,
  showLogs: (recordId: string) => Promise<void>,
): Promise<DeploymentRecord | undefined> {
  requireTrust('start model servers');
  const targets = await requireTargets(service);
  if (!targets) return undefined;
  const target = await pickTarget(targets, push);
  if (!target) return undefined;
  const name = await askName(service, target, push);
  if (!name) return undefined;
  await vscode.commands.executeCommand(`${DEPLOYMENTS_VIEW_ID}.focus`);
  let record: DeploymentRecord;
  try {
    record = await withDeployProgress(`Deploying ${push.name} v${push.version} to ${target.name}`, (options) =>
      service.deploy(push, target.name, name, options),
    );
  } catch (error) {
    if (error instanceof DeploymentFailedError || error instanceof DeployError) {
      await reportDeployFailure(`Deploying ${name} to ${target.name}`, error, showLogs);
      return undefined;
    }
    throw error;
  }
  if (record.status === 'written') {
    void vscode.window.showInformationMessage(
      `${name}: manifests for ${push.name} v${push.version} are written for ${target.name}.`,
    );
    return record;
  }
  const endpoint = record.endpoint ? ` at ${record.endpoint}/v2/models/${record.modelName}/infer` : '';
  void offerNextSteps(service, record, `${name} is ready on ${target.name}${endpoint}.`, showLogs);
  return record;
}

async function offerNextSteps(
  service: DeploymentService,
  record: DeploymentRecord,
  message: string,
  showLogs: (recordId: string) => Promise<void>,
): Promise<void> {
  const choice = await vscode.window.showInformationMessage(message, 'Send Test Request', 'Show Logs');
  if (choice === 'Send Test Request') {
    await vscode.commands.executeCommand(DeployCommands.sendTestRequest, { root: service.workspaceRoot, record });
  }
  if (choice === 'Show Logs') await showLogs(record.id);
}

export function noPushesError(): RefusedError {
  return new RefusedError(
    'no-pushes',
    'No model version has been pushed yet: push a registered version to a registry from the Models view, then deploy it.',
  );
}
