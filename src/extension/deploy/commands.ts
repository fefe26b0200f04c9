import * as vscode from 'vscode';
import { DeployError, DeploymentFailedError } from '../../core/deploy/errors';
import { DeploymentRecordSchema, type DeploymentRecord } from '../../core/deploy/records';
import { syncJournals } from '../../core/models/journal-sync';
import { listModels } from '../../core/models/queries';
import { TRACKSIDE_DIR } from '../../core/runs/protocol';
import { registerCommand } from '../command-registry';
import type { IndexDeps } from '../lineage/deps';
import {
  DEPLOYMENTS_VIEW_ID,
  DeployCommands,
  deployPush,
  noPushesError,
  reportDeployFailure,
  withDeployProgress,
} from './deploy-command';
import { DeploymentDocuments, DEPLOYMENT_SCHEME } from './deployment-documents';
import { DeploymentService } from './deployment-service';

import { pickPush, pushFromArguments, recordedPushes } from './push-pick';
import { DeploymentStatusRefresh } from './status-refresh';
import { TARGETS_SETTING } from './targets-setting';
import { parseRequestDocument } from './request-template';
import { TestRequestDocuments } from './test-request';
import { servedVersion } from './deployment-labels';
import { DeploymentsTreeProvider, type DeploymentsNode } from './tree';
import { RefusedError } from '../refusal';

/** A deployment from a command's arguments: a view node, or a record passed by another command. */
function recordFromArguments(args: readonly unknown[]): DeploymentRecord | undefined {
  for (const value of args) {
    if (!value || typeof value !== 'object') continue;
    const candidate = 'record' in value ? value.record : value;
    const parsed = DeploymentRecordSchema.safeParse(candidate);
    if (parsed.success) return parsed.data;
  }
  return undefined;
}

function requestDocumentFromArguments(args: readonly unknown[]): string | undefined {
  for (const value of args) {
    if (value && typeof value === 'object' && 'requestDocument' in value && typeof value.requestDocument === 'string') {
      return value.requestDocument;
    }
  }
  return undefined;
}

/**
 * Deployment in the editor (issue 8): "Deploy…" on a pushed version, the Deployments view
 * (target → deployment, status refreshed while visible) and its actions: Send Test Request,
 * Show Logs, Roll Back, Undeploy. Every command is registered even without a workspace, so it can
 * say why it has nothing to do.
 */
export function registerDeployFeature(deps: IndexDeps): vscode.Disposable {
  const root = deps.workspaceRoot();
  const disposables: vscode.Disposable[] = [];
  const service = root ? new DeploymentService(deps, root) : undefined;
  const requireService = (): DeploymentService => {
    if (!service) throw new RefusedError('no-workspace', 'Open a folder with a pushed model to deploy it.');
    return service;
  };

  const documents = service ? new DeploymentDocuments(service, deps.log) : undefined;
  const requests = new TestRequestDocuments();
  disposables.push(requests, vscode.languages.registerCodeLensProvider({ scheme: 'untitled' }, requests));
  const showLogs = async (recordId: string): Promise<void> => {
    const record = requireService().store.get(recordId);
    if (record && documents) await documents.showLogs(record);
  };

  let tree: DeploymentsTreeProvider | undefined;
  if (service && documents && root) {
    tree = new DeploymentsTreeProvider(service, async () => {
      const store = await deps.index();
      syncJournals(store, root);
      const aliases = new Map<string, string[]>();
      for (const model of listModels(store)) {
        for (const v of model.versions) aliases.set(`${v.name}@${v.version}`, v.aliases);
      }
      return aliases;
    });
    const view = vscode.window.createTreeView<DeploymentsNode>(DEPLOYMENTS_VIEW_ID, { treeDataProvider: tree });
    const refreshTree = debounce(() => tree?.refresh(), 150);
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(root, `${TRACKSIDE_DIR}/deployments/*.json`),
    );
    disposables.push(
      service,
      documents,
      tree,
      view,
      watcher,
      watcher.onDidCreate(refreshTree),
      watcher.onDidChange(refreshTree),
      watcher.onDidDelete(refreshTree),
      service.onDidChange(refreshTree),
      { dispose: deps.onIndexChanged(refreshTree) },
      new DeploymentStatusRefresh(view, service, tree, deps.log),
      vscode.workspace.registerTextDocumentContentProvider(DEPLOYMENT_SCHEME, documents),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(TARGETS_SETTING)) void reportTargetProblems(service.reloadTargets());
      }),
    );
    if (service.problems.length > 0) void reportTargetProblems(service.problems);
  }

  /** A deployment from the arguments, or picked among those the predicate accepts. */
  const deploymentFrom = async (
    args: readonly unknown[],
    title: string,
    accept: (r: DeploymentRecord) => boolean,
  ): Promise<DeploymentRecord | undefined> => {
    const given = recordFromArguments(args);
    const svc = requireService();
    // The newest record of the name: a node rendered a moment ago may show an older one.
    if (given) return svc.store.history(given.target, given.name).at(-1) ?? given;
    const candidates = (tree?.listed() ?? []).filter(accept);
    if (candidates.length === 0) throw new RefusedError('no-deployments', `No deployment to ${title.toLowerCase()}.`);
    const pick = await vscode.window.showQuickPick(
      candidates.map((record) => ({
        record,
        label: record.name,
        description: `${record.target} · ${servedVersion(record).label} · ${record.status}`,
      })),
      { title, placeHolder: 'Select a deployment' },
    );
    return pick?.record;
  };

  const failureAware =
    (what: (args: readonly unknown[]) => string, run: (...args: unknown[]) => Promise<void>) =>
    async (...args: unknown[]): Promise<void> => {
      try {
        await run(...args);
      } catch (error) {
        if (error instanceof DeploymentFailedError || error instanceof DeployError) {
          await reportDeployFailure(what(args), error, showLogs);
          return;
        }
        throw error;
      }
    };

  disposables.push(
    registerCommand(DeployCommands.deploy, deps.log, async (...args: unknown[]) => {
      const svc = requireService();
      let push = pushFromArguments(args);
      if (!push) {
        const store = await deps.index();
        syncJournals(store, svc.workspaceRoot);
        const pushes = recordedPushes(store);
        if (pushes.length === 0) throw noPushesError();
        const aliases = new Map(
          listModels(store).flatMap((m) => m.versions.map((v) => [`${v.name}@${v.version}`, v.aliases] as const)),
        );
        push = await pickPush(pushes, (name, version) => aliases.get(`${name}@${version}`) ?? []);
      }
      if (push) await deployPush(svc, push, showLogs);
    }),
    registerCommand(
      DeployCommands.sendTestRequest,
      deps.log,
      failureAware(
        () => 'The test request',
        async (...args) => {
          const svc = requireService();
          const documentUri = requestDocumentFromArguments(args);
          if (!documentUri) {
            const record = await deploymentFrom(args, 'Send Test Request', (r) => r.status === 'ready');
            if (record) await openRequest(record);
            return;
          }
          const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === documentUri);
          const to = document ? requests.destinationOf(document.uri) : undefined;
          if (!document || !to) return;
          const record = svc.store.history(to.target, to.name).at(-1);
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
            () => svc.infer(record, request),
          );
          await documents?.showResponse(record, response, performance.now() - started);
        },
      ),
    ),
    registerCommand(DeployCommands.showLogs, deps.log, async (...args: unknown[]) => {
      const record = await deploymentFrom(args, 'Show Logs', () => true);
      if (record) await documents?.showLogs(record);
    }),
    registerCommand(
      DeployCommands.rollback,
      deps.log,
      failureAware(
        () => 'Rolling back',
        async (...args) => {
          const svc = requireService();
          const record = await deploymentFrom(args, 'Roll Back', (r) => svc.rollbackCandidate(r) !== undefined);
          if (!record) return;
          const previous = svc.rollbackCandidate(record);
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
          if (confirm !== 'Roll Back') return;
          const result = await withDeployProgress(`Rolling back ${record.name} to ${to}`, (options) =>
            svc.rollback(record, options),
          );
          void vscode.window.showInformationMessage(
            `${record.name} on ${record.target} serves ${servedVersion(result).label} again.`,
          );
        },
      ),
    ),
    registerCommand(
      DeployCommands.undeploy,
      deps.log,
      failureAware(
        () => 'Undeploying',
        async (...args) => {
          const svc = requireService();
          const record = await deploymentFrom(args, 'Undeploy', () => true);
          if (!record) return;
          const where = record.endpoint && record.status === 'ready' ? `; ${record.endpoint} stops answering` : '';
          const confirm = await vscode.window.showWarningMessage(
            `Undeploy ${record.name} from ${record.target}?`,
            { modal: true, detail: `The model server stops and what was created for it is removed${where}.` },
            'Undeploy',
          );
          if (confirm !== 'Undeploy') return;
          const result = await withDeployProgress(`Undeploying ${record.name} from ${record.target}`, (options) =>
            svc.undeploy(record, options),
          );
          void vscode.window.showInformationMessage(
            result
              ? `Undeployed ${record.name} from ${record.target}.`
              : `Nothing was running as ${record.name} on ${record.target}.`,
          );
        },
      ),
    ),
    registerCommand(DeployCommands.refresh, deps.log, () => {
      service?.reloadTargets();
      tree?.refresh();
    }),
    registerCommand(DeployCommands.configureTargets, deps.log, () =>
      vscode.commands.executeCommand('workbench.action.openSettings', TARGETS_SETTING),
    ),
  );

  async function openRequest(record: DeploymentRecord): Promise<void> {
    if (record.status !== 'ready') {
      throw new RefusedError('no-deployments', `${record.name} is ${record.status}, not serving requests.`);
    }
    await requests.open(record);
  }

  return {
    dispose: () => {
      for (const d of disposables.splice(0).reverse()) d.dispose();
    },
  };
}

async function reportTargetProblems(problems: readonly string[]): Promise<void> {
  if (problems.length === 0) return;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  const choice = await vscode.window.showWarningMessage(
    `Trackside: ${problems[0]}${more}. Targets with problems are left out.`,
    'Open Settings',
  );
  if (choice === 'Open Settings') await vscode.commands.executeCommand(DeployCommands.configureTargets);
}

function debounce(fn: () => void, ms: number): () => void {
  let timer: NodeJS.Timeout | undefined;
  return () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}
