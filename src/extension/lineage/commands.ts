import * as vscode from 'vscode';
import { DeploymentStore } from '../../core/deploy/record-store';
import { nodeId } from '../../core/lineage/graph';
import { findImpact, type ImpactReport } from '../../core/lineage/impact';
import { loadLineageGraph } from '../../core/lineage/load-graph';
import { CommandArgs } from '../command-args';
import { registerCommand } from '../command-registry';
import type { ModelsFacade } from '../models/commands';
import { RefusedError } from '../refusal';
import { runFromArgumentsOrPick } from '../runs/run-picker';
import type { Services } from '../services';
import type { FolderService } from '../workspace/folder-service';
import { AUDIT_SCHEME, AuditLogDocument } from './audit-document';
import { LINEAGE_VIEW_TYPE, LineagePanel } from './panel';
import { reproduceRun } from './reproduce-command';

export const LineageCommands = {
  showLineage: 'trackside.showLineage',
  findModelsTrainedOnFile: 'trackside.findModelsTrainedOnFile',
  reproduceRun: 'trackside.reproduceRun',
  showAuditLog: 'trackside.showAuditLog',
} as const;

/**
 * Registers "Show Lineage", "Find Models Trained on This File", "Reproduce Run" and "Show Audit Log",
 * and restores nothing across reloads (the panel is cheap to reopen and always reloads from the index).
 */
export function registerLineageFeature(services: Services, models: ModelsFacade): vscode.Disposable {
  const { folders, log } = services;
  const audit = new AuditLogDocument(folders);
  const show = (folder: FolderService, nodeIds: string[], title: string) =>
    LineagePanel.show(services, folder, models, { nodeIds, title });
  const showLineage = async (...args: unknown[]): Promise<void> => {
    const version = CommandArgs.modelVersion(args);
    if (version) {
      const folder = await folderOf(services, args);
      const id = nodeId.modelVersion(version.name, version.version);
      if (folder) show(folder, [id], `Lineage: ${version.name} v${version.version}`);
      return;
    }
    const file = CommandArgs.file(args);
    if (file) {
      const { folder, report } = await impactOf(services, file);
      show(folder, report.sources, `Lineage: ${report.path}`);
      return;
    }
    const target = await runFromArgumentsOrPick(services, CommandArgs.runId(args), {
      title: 'Show Lineage',
      placeholder: 'Select a run',
    });
    if (target) show(target.folder, [nodeId.run(target.runId)], 'Lineage');
  };
  return vscode.Disposable.from(
    audit,
    vscode.workspace.registerTextDocumentContentProvider(AUDIT_SCHEME, audit),
    registerCommand(LineageCommands.showLineage, log, showLineage),
    registerCommand(LineageCommands.findModelsTrainedOnFile, log, (...args: unknown[]) =>
      findModelsTrainedOnFile(services, models, args),
    ),
    registerCommand(LineageCommands.reproduceRun, log, (...args: unknown[]) => reproduceRun(services, args)),
    registerCommand(LineageCommands.showAuditLog, log, async (...args: unknown[]) => {
      const folder = await folderOf(services, args);
      if (folder) await audit.show(folder);
    }),
    { dispose: () => LineagePanel.disposeCurrent() },
    // The panel is rebuilt from the index on demand: after a reload, a restored tab simply closes.
    vscode.window.registerWebviewPanelSerializer(LINEAGE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel) => panel.dispose(),
    }),
  );
}

/** The folder a Models view node belongs to, else the one the user picks among those with runs. */
async function folderOf(services: Services, args: readonly unknown[]): Promise<FolderService | undefined> {
  const root = CommandArgs.folderRoot(args);
  const given = root ? services.folders.all().find((f) => f.root === root) : undefined;
  return given ?? services.folders.pick('Which folder?', (f) => f.hasRuns());
}

async function impactOf(
  services: Services,
  file: vscode.Uri,
): Promise<{ folder: FolderService; report: ImpactReport }> {
  const folder = services.folders.forUri(file);
  if (!folder) throw new RefusedError('outside-workspace', `${file.fsPath} is outside the open folders.`);
  const graph = loadLineageGraph(await folder.store(), new DeploymentStore(folder.root).list().records);
  return { folder, report: await findImpact(graph, folder.root, file.fsPath) };
}

type ImpactPick = vscode.QuickPickItem & { open?: () => Promise<void> };

async function findModelsTrainedOnFile(
  services: Services,
  models: ModelsFacade,
  args: readonly unknown[],
): Promise<void> {
  const file = CommandArgs.file(args) ?? vscode.window.activeTextEditor?.document.uri;
  if (!file || file.scheme !== 'file') {
    throw new RefusedError(
      'no-file',
      'Select a data file in the Explorer (right-click → Find Models Trained on This File).',
    );
  }
  const { folder, report } = await impactOf(services, file);
  const show = (nodeIds: string[], title: string) => LineagePanel.show(services, folder, models, { nodeIds, title });
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
      open: async () => void show(report.sources, `Lineage: ${report.path}`),
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
        await models.revealVersion(folder, version.name, version.version);
        show([version.id], `Lineage: ${version.label}`);
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
          .then(undefined, () => show([run.id], `Lineage: ${run.label}`));
      },
    });
  }
  if (report.deployments.length > 0) items.push({ label: 'Deployments', kind: vscode.QuickPickItemKind.Separator });
  for (const deployment of report.deployments) {
    items.push({
      label: `$(cloud) ${deployment.label}`,
      description: deployment.status,
      detail: deployment.endpoint ?? undefined,
      open: async () => void show([deployment.id], `Lineage: ${deployment.label}`),
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
