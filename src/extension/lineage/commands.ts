import * as vscode from 'vscode';
import { DeploymentStore } from '../../core/deploy/record-store';
import { nodeId } from '../../core/lineage/graph';
import { findImpact, type ImpactReport } from '../../core/lineage/impact';
import { loadLineageGraph } from '../../core/lineage/load-graph';
import { syncJournals } from '../../core/models/journal-sync';
import { registerCommand } from '../command-registry';
import { AUDIT_SCHEME, AuditLogDocument } from './audit-document';
import { requireWorkspace, type IndexDeps, type ModelsFacade } from './deps';
import { LINEAGE_VIEW_TYPE, LineagePanel } from './panel';
import { reproduceRun } from './reproduce-command';
import { pickRun, runIdFromArguments } from './run-pick';
import { RefusedError } from '../refusal';

export const LineageCommands = {
  showLineage: 'trackside.showLineage',
  findModelsTrainedOnFile: 'trackside.findModelsTrainedOnFile',
  reproduceRun: 'trackside.reproduceRun',
  showAuditLog: 'trackside.showAuditLog',
} as const;

export interface LineageFeatureDeps extends IndexDeps {
  /** The Models view, to select a version clicked in the panel and to refresh on model changes. */
  models?: ModelsFacade;
}

/** A model version from a Models view item (`{ name, version }`). */
function modelVersionFromArguments(args: readonly unknown[]): { name: string; version: number } | undefined {
  for (const value of args) {
    if (value && typeof value === 'object' && 'name' in value && 'version' in value) {
      const { name, version } = value as { name: unknown; version: unknown };
      if (typeof name === 'string' && typeof version === 'number') return { name, version };
    }
  }
  return undefined;
}

function fileFromArguments(args: readonly unknown[]): vscode.Uri | undefined {
  return args.find((a): a is vscode.Uri => a instanceof vscode.Uri && a.scheme === 'file');
}

/**
 * Registers "Show Lineage", "Find Models Trained on This File", "Reproduce Run" and "Show Audit Log",
 * and restores nothing across reloads (the panel is cheap to reopen and always reloads from the index).
 */
export function registerLineageFeature(deps: LineageFeatureDeps): vscode.Disposable {
  const audit = new AuditLogDocument(deps);
  const showLineage = async (...args: unknown[]): Promise<void> => {
    requireWorkspace(deps);
    const version = modelVersionFromArguments(args);
    if (version) {
      const id = nodeId.modelVersion(version.name, version.version);
      LineagePanel.show(deps, deps.models, { nodeIds: [id], title: `Lineage: ${version.name} v${version.version}` });
      return;
    }
    const file = fileFromArguments(args);
    if (file) {
      const report = await impactOf(deps, file);
      LineagePanel.show(deps, deps.models, { nodeIds: report.sources, title: `Lineage: ${report.path}` });
      return;
    }
    const runId = runIdFromArguments(args) ?? (await pickRun(deps, 'Show Lineage'));
    if (runId) LineagePanel.show(deps, deps.models, { nodeIds: [nodeId.run(runId)], title: 'Lineage' });
  };
  return vscode.Disposable.from(
    audit,
    vscode.workspace.registerTextDocumentContentProvider(AUDIT_SCHEME, audit),
    registerCommand(LineageCommands.showLineage, deps.log, showLineage),
    registerCommand(LineageCommands.findModelsTrainedOnFile, deps.log, (...args: unknown[]) =>
      findModelsTrainedOnFile(deps, args),
    ),
    registerCommand(LineageCommands.reproduceRun, deps.log, (...args: unknown[]) => reproduceRun(deps, args)),
    registerCommand(LineageCommands.showAuditLog, deps.log, () => audit.show()),
    // The audit log changes only with model changes (the Models view watches the journals).
    deps.models?.onDidChangeModels(() => audit.refresh()) ?? { dispose() {} },
    { dispose: () => LineagePanel.disposeCurrent() },
    // The panel is rebuilt from the index on demand: after a reload, a restored tab simply closes.
    vscode.window.registerWebviewPanelSerializer(LINEAGE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel) => panel.dispose(),
    }),
  );
}

async function impactOf(deps: IndexDeps, file: vscode.Uri): Promise<ImpactReport> {
  const root = requireWorkspace(deps);
  const store = await deps.index();
  syncJournals(store, root);
  const graph = loadLineageGraph(store, new DeploymentStore(root).list().records);
  return findImpact(graph, root, file.fsPath);
}

type ImpactPick = vscode.QuickPickItem & { open?: () => Promise<void> };

async function findModelsTrainedOnFile(deps: LineageFeatureDeps, args: readonly unknown[]): Promise<void> {
  requireWorkspace(deps);
  const file = fileFromArguments(args) ?? vscode.window.activeTextEditor?.document.uri;
  if (!file || file.scheme !== 'file') {
    throw new RefusedError(
      'no-file',
      'Select a data file in the Explorer (right-click → Find Models Trained on This File).',
    );
  }
  const report = await impactOf(deps, file);
  if (report.sources.length === 0) {
    void vscode.window.showInformationMessage(`No tracked run used ${report.path}.`);
    return;
  }
  const stale = report.versionsUsed.some((v) => !v.current);
  const runNames = new Map(report.runs.map((r) => [r.runId, r.label]));
  const items: ImpactPick[] = [
    {
      label: '$(type-hierarchy) Show in Lineage Panel',
      description: [
        count(report.runs.length, 'run'),
        count(report.modelVersions.length, 'model version'),
        count(report.deployments.length, 'deployment'),
      ].join(' · '),
      open: async () => {
        LineagePanel.show(deps, deps.models, { nodeIds: report.sources, title: `Lineage: ${report.path}` });
      },
    },
  ];
  if (report.modelVersions.length > 0)
    items.push({ label: 'Model versions', kind: vscode.QuickPickItemKind.Separator });
  for (const version of report.modelVersions) {
    items.push({
      label: `$(package) ${version.label}`,
      description: version.aliases.join(' · '),
      detail: `from run ${runNames.get(version.runId) ?? version.runId} · ${version.artifactPath}`,
      open: async () => {
        await deps.models?.revealVersion(version.name, version.version);
        LineagePanel.show(deps, deps.models, { nodeIds: [version.id], title: `Lineage: ${version.label}` });
      },
    });
  }
  if (report.runs.length > 0) items.push({ label: 'Runs', kind: vscode.QuickPickItemKind.Separator });
  for (const run of report.runs) {
    items.push({
      label: `$(beaker) ${run.label}`,
      description: `${run.experiment} · ${run.status}`,
      detail: `${new Date(run.createdAt).toLocaleString()} · ${run.runId}`,
      open: async () => {
        await vscode.commands
          .executeCommand('trackside.openRun', run.runId)
          .then(undefined, () =>
            LineagePanel.show(deps, deps.models, { nodeIds: [run.id], title: `Lineage: ${run.label}` }),
          );
      },
    });
  }
  if (report.deployments.length > 0) items.push({ label: 'Deployments', kind: vscode.QuickPickItemKind.Separator });
  for (const deployment of report.deployments) {
    items.push({
      label: `$(cloud) ${deployment.label}`,
      description: deployment.status,
      detail: deployment.endpoint ?? undefined,
      open: async () => {
        LineagePanel.show(deps, deps.models, { nodeIds: [deployment.id], title: `Lineage: ${deployment.label}` });
      },
    });
  }
  const pick = await vscode.window.showQuickPick(items, {
    title: `Trained on ${report.path}`,
    placeHolder: stale
      ? 'Some of these used an earlier version of this file (its content has changed since)'
      : 'Runs, model versions and deployments downstream of this file',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  await pick?.open?.();
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
