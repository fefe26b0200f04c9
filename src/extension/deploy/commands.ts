import * as vscode from 'vscode';
import { DeployError, DeploymentFailedError } from '../../core/deploy/errors';
import type { DeploymentRecord } from '../../core/deploy/records';
import { CommandArgs } from '../command-args';
import { registerCommand } from '../command-registry';
import { RefusedError } from '../refusal';
import { requireTrust } from '../trust';
import type { Services } from '../services';
import {
  DEPLOYMENTS_VIEW_ID,
  DeployCommands,
  deployPush,
  noPushesError,
  reportDeployFailure,
  withDeployProgress,
} from './deploy-command';
import { servedVersion } from './deployment-labels';
import { DeploymentDocuments, DEPLOYMENT_SCHEME } from './deployment-documents';
import { DeploymentService } from './deployment-service';
import { pickPush, pushFromArguments, recordedPushes } from './push-pick';
import { parseRequestDocument } from './request-template';
import { MonitoringAlerts } from './monitoring-alerts';
import { registerMonitoringCommands } from './monitoring-commands';
import { DeploymentStatusRefresh } from './status-refresh';
import { TARGETS_SETTING } from './targets-setting';
import { TestRequestDocuments } from './test-request';
import { DeploymentsTreeProvider, type DeploymentsNode } from './tree';

/**
 * Deployment in the editor: "Deploy…" on a pushed version, the Deployments view (target →
 * deployment, status refreshed while visible; one group per workspace folder when there are
 * several) and its actions: Send Test Request, Show Logs, Roll Back, Undeploy. Every command is
 * registered even without a workspace, so it can say why it has nothing to do.
 */
export function registerDeployFeature(services: Services): vscode.Disposable {
  const { folders, log, settings } = services;
  /** One service per workspace folder: each folder keeps its own deployment records. */
  const byRoot = new Map<string, DeploymentService>();
  const sync = (): void => {
    const current = new Map(folders.all().map((f) => [f.root, f] as const));
    for (const [root, service] of byRoot) {
      if (!current.has(root)) {
        service.dispose();
        byRoot.delete(root);
      }
    }
    for (const [root, folder] of current) {
      if (!byRoot.has(root)) byRoot.set(root, new DeploymentService(folder, settings, log, services.secrets));
    }
  };
  sync();
  const all = (): DeploymentService[] => folders.all().flatMap((f) => byRoot.get(f.root) ?? []);
  const serviceOf = (root: string): DeploymentService | undefined => byRoot.get(root);
  const requireService = async (args: readonly unknown[], title: string): Promise<DeploymentService | undefined> => {
    const root = CommandArgs.folderRoot(args);
    if (root && byRoot.has(root)) return byRoot.get(root);
    if (folders.all().length === 0) {
      throw new RefusedError('no-workspace', 'Open a folder with a pushed model to deploy it.');
    }
    const folder = await folders.pick(title);
    return folder ? byRoot.get(folder.root) : undefined;
  };

  const documents = new DeploymentDocuments(serviceOf, log);
  const requests = new TestRequestDocuments();
  const tree = new DeploymentsTreeProvider(all);
  const view = vscode.window.createTreeView<DeploymentsNode>(DEPLOYMENTS_VIEW_ID, { treeDataProvider: tree });
  const refreshTree = debounce(() => tree.refresh(), 150);
  const showLogsOf = (service: DeploymentService) => async (recordId: string) => {
    const record = service.store.get(recordId);
    if (record) await documents.showLogs(service, record);
  };
  const serviceSubscriptions = new Map<DeploymentService, vscode.Disposable>();
  const follow = (): void => {
    for (const service of all()) {
      if (!serviceSubscriptions.has(service)) serviceSubscriptions.set(service, service.onDidChange(refreshTree));
    }
  };
  follow();

  /** A deployment from the arguments (with its folder's service), or picked among those `accept` takes. */
  const deploymentFrom = async (
    args: readonly unknown[],
    title: string,
    accept: (service: DeploymentService, r: DeploymentRecord) => boolean,
  ): Promise<{ service: DeploymentService; record: DeploymentRecord } | undefined> => {
    const given = CommandArgs.deployment(args);
    if (given) {
      const service = await requireService(args, title);
      if (!service) return undefined;
      // The newest record of the name: a node rendered a moment ago may show an older one.
      return { service, record: service.store.history(given.target, given.name).at(-1) ?? given };
    }
    const candidates = tree.listed().filter(({ service, record }) => accept(service, record));
    if (candidates.length === 0) {
      throw new RefusedError('no-deployments', `No deployment to ${title.toLowerCase()}.`);
    }
    const pick = await vscode.window.showQuickPick(
      candidates.map((c) => ({
        ...c,
        label: c.record.name,
        description: `${c.record.target} · ${servedVersion(c.record).label} · ${c.record.status}`,
        detail: folders.isMultiRoot ? c.service.folderName : undefined,
      })),
      { title, placeHolder: 'Select a deployment' },
    );
    return pick && { service: pick.service, record: pick.record };
  };

  /** Deployment failures are shown with their reason, next step and a way to the logs. */
  const failureAware =
    (what: string, run: (...args: unknown[]) => Promise<DeploymentService | undefined>) =>
    async (...args: unknown[]): Promise<void> => {
      let service: DeploymentService | undefined;
      try {
        service = await run(...args);
      } catch (error) {
        if (error instanceof DeploymentFailedError || error instanceof DeployError) {
          const target = service ?? (await requireService(args, what).catch(() => undefined));
          await reportDeployFailure(what, error, target ? showLogsOf(target) : async () => undefined);
          return;
        }
        throw error;
      }
    };

  const reportTargetProblems = async (problems: readonly string[]): Promise<void> => {
    if (problems.length === 0) return;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    const choice = await vscode.window.showWarningMessage(
      `Trackside: ${problems[0]}${more}. Targets with problems are left out.`,
      'Open Settings',
    );
    if (choice === 'Open Settings') await vscode.commands.executeCommand(DeployCommands.configureTargets);
  };

  const disposables: vscode.Disposable[] = [
    documents,
    requests,
    tree,
    view,
    vscode.languages.registerCodeLensProvider({ scheme: 'untitled' }, requests),
    vscode.workspace.registerTextDocumentContentProvider(DEPLOYMENT_SCHEME, documents),
    new DeploymentStatusRefresh(view, tree, log, new MonitoringAlerts(settings, log)),
    folders.onDidChangeDeployments(refreshTree),
    folders.onDidChangeModels(refreshTree),
    folders.onDidChangeFolders(() => {
      sync();
      follow();
      refreshTree();
    }),
    settings.onDidChange(['targets'], () => {
      const problems = all().map((s) => s.reloadTargets())[0] ?? [];
      void reportTargetProblems(problems);
    }),
    registerCommand(DeployCommands.deploy, log, async (...args: unknown[]) => {
      let push = pushFromArguments(args);
      const service = await requireService(args, 'Deploy');
      if (!service) return;
      if (!push) {
        const pushes = recordedPushes(await service.index());
        if (pushes.length === 0) throw noPushesError();
        const aliases = await service.aliases();
        push = await pickPush(pushes, (name, version) => aliases.get(`${name}@${version}`) ?? []);
      }
      if (push) await deployPush(service, push, showLogsOf(service));
    }),
    registerCommand(
      DeployCommands.sendTestRequest,
      log,
      failureAware('The test request', async (...args) => {
        const documentUri = CommandArgs.requestDocument(args);
        if (!documentUri) {
          const chosen = await deploymentFrom(args, 'Send Test Request', (_s, r) => r.status === 'ready');
          if (!chosen) return undefined;
          if (chosen.record.status !== 'ready') {
            throw new RefusedError(
              'no-deployments',
              `${chosen.record.name} is ${chosen.record.status}, not serving requests.`,
            );
          }
          await requests.open(chosen.service.workspaceRoot, chosen.record);
          return chosen.service;
        }
        const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === documentUri);
        const to = document ? requests.destinationOf(document.uri) : undefined;
        const service = to ? byRoot.get(to.root) : undefined;
        if (!document || !to || !service) return undefined;
        const record = service.store.history(to.target, to.name).at(-1);
        if (!record || record.status !== 'ready') {
          throw new RefusedError(
            'no-deployments',
            `${to.name} on ${to.target} is ${record?.status ?? 'gone'}, not serving requests.`,
          );
        }
        const request = parseRequestDocument(document.getText());
        const started = performance.now();
        const response = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: `Sending a test request to ${to.name}` },
          () => service.infer(record, request),
        );
        await documents.showResponse(record, response, performance.now() - started);
        return service;
      }),
    ),
    registerCommand(DeployCommands.showLogs, log, async (...args: unknown[]) => {
      const chosen = await deploymentFrom(args, 'Show Logs', () => true);
      if (chosen) await documents.showLogs(chosen.service, chosen.record);
    }),
    registerCommand(
      DeployCommands.rollback,
      log,
      failureAware('Rolling back', async (...args) => {
        requireTrust('change what a deployment serves');
        const chosen = await deploymentFrom(args, 'Roll Back', (s, r) => s.rollbackCandidate(r) !== undefined);
        if (!chosen) return undefined;
        const { service, record } = chosen;
        const previous = service.rollbackCandidate(record);
        if (!previous) {
          throw new RefusedError(
            'nothing-to-roll-back',
            `${record.name} on ${record.target} has no earlier version to roll back to.`,
          );
        }
        const from = servedVersion(record).label;
        const to = servedVersion(previous).label;
        const confirm = await vscode.window.showWarningMessage(
          `Roll back ${record.name} on ${record.target} from ${from} to ${to}?`,
          { modal: true, detail: `${from} stops serving; ${to} is started again and health-checked.` },
          'Roll Back',
        );
        if (confirm !== 'Roll Back') return service;
        const result = await withDeployProgress(`Rolling back ${record.name} to ${to}`, (options) =>
          service.rollback(record, options),
        );
        void vscode.window.showInformationMessage(
          `${record.name} on ${record.target} serves ${servedVersion(result).label} again.`,
        );
        return service;
      }),
    ),
    registerCommand(
      DeployCommands.undeploy,
      log,
      failureAware('Undeploying', async (...args) => {
        requireTrust('stop deployments');
        const chosen = await deploymentFrom(args, 'Undeploy', () => true);
        if (!chosen) return undefined;
        const { service, record } = chosen;
        const where = record.endpoint && record.status === 'ready' ? `; ${record.endpoint} stops answering` : '';
        const confirm = await vscode.window.showWarningMessage(
          `Undeploy ${record.name} from ${record.target}?`,
          { modal: true, detail: `The model server stops and what was created for it is removed${where}.` },
          'Undeploy',
        );
        if (confirm !== 'Undeploy') return service;
        const result = await withDeployProgress(`Undeploying ${record.name} from ${record.target}`, (options) =>
          service.undeploy(record, options),
        );
        void vscode.window.showInformationMessage(
          result
            ? `Undeployed ${record.name} from ${record.target}.`
            : `Nothing was running as ${record.name} on ${record.target}.`,
        );
        return service;
      }),
    ),
    ...registerMonitoringCommands({ services, deploymentFrom, failureAware, all }),
    registerCommand(DeployCommands.refresh, log, () => {
      for (const service of all()) service.reloadTargets();
      tree.refresh();
    }),
    registerCommand(DeployCommands.configureTargets, log, () =>
      vscode.commands.executeCommand('workbench.action.openSettings', TARGETS_SETTING),
    ),
  ];
  const problems = all()[0]?.problems ?? [];
  if (problems.length > 0) void reportTargetProblems(problems);

  return {
    dispose: () => {
      for (const d of disposables.splice(0).reverse()) d.dispose();
      for (const d of serviceSubscriptions.values()) d.dispose();
      for (const service of byRoot.values()) service.dispose();
      byRoot.clear();
    },
  };
}

function debounce(fn: () => void, ms: number): () => void {
  let timer: NodeJS.Timeout | undefined;
  return () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}
