import * as vscode from 'vscode';
import type { DeploymentRecord } from '../../core/deploy/records';
import { CommandArgs } from '../command-args';
import { registerCommand } from '../command-registry';
import { RefusedError } from '../refusal';
import type { Services } from '../services';
import { requireTrust } from '../trust';
import { withDeployProgress } from './deploy-command';
import { DeploymentPanel, type DeploymentPanelSource } from './deployment-panel';
import { servedVersion } from './deployment-labels';
import type { DeploymentService } from './deployment-service';
import { OPEN_DEPLOYMENT_COMMAND, RETRAIN_COMMAND } from './monitoring-alerts';
import { pickPush, recordedPushes } from './push-pick';
import { retrainDeployment } from './retrain-command';
import { splitText } from './traffic-text';

export const MonitoringCommands = {
  open: OPEN_DEPLOYMENT_COMMAND,
  retrain: RETRAIN_COMMAND,
  startCanary: 'trackside.startCanary',
  setSplit: 'trackside.setCanarySplit',
  promote: 'trackside.promoteCanary',
  rollbackCanary: 'trackside.rollbackCanary',
  setServingToken: 'trackside.setServingToken',
} as const;

type Chosen = { service: DeploymentService; record: DeploymentRecord };

export interface MonitoringCommandContext {
  services: Services;
  /** A deployment from the arguments, or picked among those `accept` takes. */
  deploymentFrom(
    args: readonly unknown[],
    title: string,
    accept: (service: DeploymentService, record: DeploymentRecord) => boolean,
  ): Promise<Chosen | undefined>;
  /** Runs an action that may fail as a deployment does, showing its reason and a way to the logs. */
  failureAware(
    what: string,
    run: (...args: unknown[]) => Promise<DeploymentService | undefined>,
  ): (...args: unknown[]) => Promise<void>;
  /** Every folder's service. */
  all(): readonly DeploymentService[];
}

const isSplit = (record: DeploymentRecord) => (record.routing?.backends.length ?? 0) > 1;
const ready = (service: DeploymentService, record: DeploymentRecord) =>
  record.status === 'ready' && service.isMonitored(record);

/** Asks for a whole percentage in a range; undefined when dismissed. */
async function askPercent(title: string, prompt: string, min: number, max: number, value: number) {
  const text = await vscode.window.showInputBox({
    title,
    prompt,
    value: String(value),
    validateInput: (v) =>
      /^\d+$/.test(v.trim()) && Number(v) >= min && Number(v) <= max
        ? undefined
        : `A whole number from ${min} to ${max}.`,
  });
  return text === undefined ? undefined : Number(text.trim());
}

/**
 * The commands after deploy: retrain on new data, a canary beside the serving version (split,
 * promote, roll back — each written to the audit log by the canary deployer), and the serving token.
 */
export function registerMonitoringCommands(context: MonitoringCommandContext): vscode.Disposable[] {
  const { services, deploymentFrom, failureAware } = context;
  const { log } = services;
  return [
    registerCommand(MonitoringCommands.open, log, async (...args: unknown[]) => {
      const chosen = await deploymentFrom(args, 'Open Deployment', ready);
      if (!chosen) return;
      const { service, record } = chosen;
      if (!service.isMonitored(record)) {
        throw new RefusedError(
          'not-monitored',
          `${record.name} runs on ${record.target}, whose servers' metrics and prediction logs stay in the cluster.`,
        );
      }
      const source = panelSource(services, service, record.target, record.name);
      DeploymentPanel.show(services.extensionUri, log, source, record.target, record.name);
    }),
    registerCommand(MonitoringCommands.retrain, log, async (...args: unknown[]) => {
      const chosen = await deploymentFrom(args, 'Retrain on New Data', ready);
      if (chosen) {
        await retrainDeployment(services.extensionUri, chosen.service, chosen.record, CommandArgs.driftReport(args));
      }
    }),
    registerCommand(
      MonitoringCommands.startCanary,
      log,
      failureAware('Starting the canary', async (...args) => {
        requireTrust('change what a deployment serves');
        const chosen = await deploymentFrom(args, 'Start Canary', (s, r) => ready(s, r) && !isSplit(r));
        if (!chosen) return undefined;
        const { service, record } = chosen;
        if (isSplit(record)) {
          throw new RefusedError(
            'bad-request',
            `${record.name} already splits its traffic: promote or roll back its canary first.`,
          );
        }
        const pushes = recordedPushes(await service.index()).filter((p) => p.digest !== record.digest);
        if (pushes.length === 0) {
          throw new RefusedError('no-pushes', `No other pushed version to try beside ${servedVersion(record).label}.`);
        }
        const aliases = await service.aliases();
        const push = await pickPush(pushes, (name, version) => aliases.get(`${name}@${version}`) ?? []);
        if (!push) return service;
        const percent = await askPercent(
          `Start Canary: ${push.name} v${push.version} beside ${servedVersion(record).label}`,
          'Share of requests (percent) the new version answers',
          1,
          99,
          20,
        );
        if (percent === undefined) return service;
        const result = await withDeployProgress(`Starting ${push.name} v${push.version} with ${percent}%`, (o) =>
          service.startCanary(record, push, percent, o),
        );
        void vscode.window.showInformationMessage(`${record.name} splits its requests: ${splitOf(result)}.`);
        return service;
      }),
    ),
    registerCommand(
      MonitoringCommands.setSplit,
      log,
      failureAware('Changing the split', async (...args) => {
        requireTrust('change what a deployment serves');
        const chosen = await deploymentFrom(args, 'Set Canary Split', (s, r) => ready(s, r) && isSplit(r));
        if (!chosen) return undefined;
        const { service, record } = chosen;
        const canary = record.routing?.backends.at(-1);
        const percent = await askPercent(
          `Set Canary Split of ${record.name}`,
          'Share of requests (percent) the canary answers: 100 promotes it, 0 rolls it back',
          0,
          100,
          canary?.weight ?? 20,
        );
        if (percent === undefined) return service;
        const result = await withDeployProgress(`Giving the canary of ${record.name} ${percent}%`, (o) =>
          percent === 100
            ? service.promoteCanary(record, o)
            : percent === 0
              ? service.rollbackCanary(record, o)
              : service.setSplit(record, percent, o),
        );
        void vscode.window.showInformationMessage(`${record.name}: ${splitOf(result)}.`);
        return service;
      }),
    ),
    registerCommand(
      MonitoringCommands.promote,
      log,
      failureAware('Promoting the canary', async (...args) => {
        requireTrust('change what a deployment serves');
        const chosen = await deploymentFrom(args, 'Promote Canary', (s, r) => ready(s, r) && isSplit(r));
        if (!chosen) return undefined;
        const { service, record } = chosen;
        const confirm = await vscode.window.showWarningMessage(
          `Promote the canary of ${record.name}?`,
          {
            modal: true,
            detail: 'It takes every request; the version it ran beside stops once its requests are answered.',
          },
          'Promote',
        );
        if (confirm !== 'Promote') return service;
        const result = await withDeployProgress(`Promoting the canary of ${record.name}`, (o) =>
          service.promoteCanary(record, o),
        );
        void vscode.window.showInformationMessage(`${record.name} serves ${servedVersion(result).label}.`);
        return service;
      }),
    ),
    registerCommand(
      MonitoringCommands.rollbackCanary,
      log,
      failureAware('Rolling back the canary', async (...args) => {
        requireTrust('change what a deployment serves');
        const chosen = await deploymentFrom(args, 'Roll Back Canary', (s, r) => ready(s, r) && isSplit(r));
        if (!chosen) return undefined;
        const { service, record } = chosen;
        const confirm = await vscode.window.showWarningMessage(
          `Roll back the canary of ${record.name}?`,
          { modal: true, detail: 'The serving version takes every request again; the canary stops.' },
          'Roll Back',
        );
        if (confirm !== 'Roll Back') return service;
        const result = await withDeployProgress(`Rolling back the canary of ${record.name}`, (o) =>
          service.rollbackCanary(record, o),
        );
        void vscode.window.showInformationMessage(`${record.name} serves ${servedVersion(result).label} alone again.`);
        return service;
      }),
    ),
    registerCommand(MonitoringCommands.setServingToken, log, async () => {
      const service = context.all()[0];
      const targets = service?.targets.filter((t) => t.kind !== 'kserve') ?? [];
      if (!service || targets.length === 0) {
        throw new RefusedError('no-deployments', 'Configure a Podman or SSH target in trackside.targets first.');
      }
      const target = await vscode.window.showQuickPick(
        targets.map((t) => ({ label: t.name, description: t.kind })),
        { title: 'Set Serving Token', placeHolder: 'Which target’s model servers ask for the token?' },
      );
      if (!target) return;
      const token = await vscode.window.showInputBox({
        title: `Serving token for ${target.label}`,
        prompt:
          'Servers deployed there from now on ask every request for it (Authorization: Bearer). Empty removes it.',
        password: true,
        ignoreFocusOut: true,
      });
      if (token === undefined) return;
      // Tokens are the user's, not a folder's: every folder's service reads the same SecretStorage.
      await service.setServingToken(target.label, token.trim() || undefined);
      void vscode.window.showInformationMessage(
        token.trim()
          ? `Deployments to ${target.label} will ask for the serving token (kept in the editor's secret storage).`
          : `Deployments to ${target.label} will not ask for a token.`,
      );
    }),
  ];
}

/** One deployment of a folder, as its panel reads and changes it. */
function panelSource(
  services: Services,
  service: DeploymentService,
  target: string,
  name: string,
): DeploymentPanelSource {
  const record = () => service.store.history(target, name).at(-1);
  const current = () => {
    const latest = record();
    if (!latest || latest.status !== 'ready') {
      throw new RefusedError('no-deployments', `${name} on ${target} is ${latest?.status ?? 'gone'}, not serving.`);
    }
    return latest;
  };
  // Subscribed while the panel listens, so a closed panel leaves nothing behind on the service.
  const onDidUpdate: vscode.Event<void> = (listener, thisArgs, disposables) => {
    const subscription = vscode.Disposable.from(
      service.onDidChange(() => listener.call(thisArgs)),
      service.onDidReadMetrics((r) => {
        if (r.target === target && r.name === name) listener.call(thisArgs);
      }),
    );
    disposables?.push(subscription);
    return subscription;
  };
  return {
    workspaceRoot: service.workspaceRoot,
    record,
    metricsHistory: () => {
      const latest = record();
      return latest ? service.metricsHistory(latest) : [];
    },
    onDidUpdate,
    drift: (options, signal) => service.drift(current(), options, signal),
    split: async () => {
      const latest = record();
      return latest?.routing ? service.split(latest) : undefined;
    },
    retrain: () => retrainDeployment(services.extensionUri, service, current(), undefined),
    setSplit: async (percent) => {
      requireTrust('change what a deployment serves');
      const latest = current();
      if (percent === 100) await service.promoteCanary(latest);
      else if (percent === 0) await service.rollbackCanary(latest);
      else await service.setSplit(latest, percent);
    },
    promote: async () => {
      requireTrust('change what a deployment serves');
      await service.promoteCanary(current());
    },
    rollback: async () => {
      requireTrust('change what a deployment serves');
      await service.rollbackCanary(current());
    },
  };
}

function splitOf(record: DeploymentRecord): string {
  return record.routing && record.routing.backends.length > 1
    ? splitText(record.routing.backends)
    : `${servedVersion(record).label} takes every request`;
}
