import * as vscode from 'vscode';
import type { DeploymentRecord } from '../../core/deploy/records';
import type { InstanceState } from '../../core/deploy/target';
import type { TargetConfig } from '../../core/deploy/targets-config';
import type { DeploymentService } from './deployment-service';
import { servedVersion } from './deployment-labels';
import { splitText } from './traffic-text';
import { describeTarget, TARGETS_SETTING } from './targets-setting';

export type DeploymentsNode =
  | { kind: 'problems'; problems: readonly string[] }
  /** A workspace folder, above its deployments in a multi-root workspace. */
  | { kind: 'folder'; root: string; name: string }
  | { kind: 'target'; root: string; name: string; config: TargetConfig | undefined }
  /** `root` names the workspace folder whose records hold the deployment. */
  | { kind: 'deployment'; root: string; record: DeploymentRecord };

/**
 * The Deployments view: target → deployment (the newest record of each name), with the version it
 * serves, its alias, endpoint and status; under one node per workspace folder when there are
 * several (each folder keeps its own deployment records). Undeployed names drop out of the list;
 * failed ones stay, showing why, until they are deployed again or undeployed.
 */
export class DeploymentsTreeProvider implements vscode.TreeDataProvider<DeploymentsNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<DeploymentsNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private liveStates = new Map<string, InstanceState>();
  /** What each ready deployment answered in the newest polling window, by record id. */
  private traffic = new Map<string, string>();
  private readonly aliases = new Map<string, Map<string, string[]>>();

  constructor(
    /** One service per workspace folder, in the workspace's order. */
    private readonly services: () => readonly DeploymentService[],
  ) {}

  refresh(): void {
    this.changeEmitter.fire(undefined);
  }

  /** The records the view lists, with their folder's service: the newest of each name on each target, unless undeployed. */
  listed(): { service: DeploymentService; record: DeploymentRecord }[] {
    return this.services().flatMap((service) => listedOf(service).map((record) => ({ service, record })));
  }

  /** Live states and traffic from the last status refresh; re-renders only when one changed. */
  setLiveStates(states: Map<string, InstanceState>, traffic = new Map<string, string>()): void {
    const key = (m: Map<string, unknown>) => JSON.stringify([...m.entries()].sort(([a], [b]) => a.localeCompare(b)));
    if (key(states) === key(this.liveStates) && key(traffic) === key(this.traffic)) return;
    this.liveStates = states;
    this.traffic = traffic;
    this.refresh();
  }

  async getChildren(node?: DeploymentsNode): Promise<DeploymentsNode[]> {
    const all = this.services();
    // In a multi-root workspace, only folders that hold runs (and so maybe deployments) are listed.
    const services = all.length > 1 ? all.filter((s) => s.hasRuns()) : all;
    if (!node) {
      // The targets are settings of the user: their problems are told once, above every folder.
      const problems = services[0]?.problems ?? [];
      const top: DeploymentsNode[] =
        all.length > 1
          ? services.map((s) => ({ kind: 'folder', root: s.workspaceRoot, name: s.folderName }))
          : services[0]
            ? await this.targetsOf(services[0])
            : [];
      return problems.length > 0 ? [{ kind: 'problems', problems }, ...top] : top;
    }
    const service = services.find((s) => 'root' in node && s.workspaceRoot === node.root);
    if (!service) return [];
    if (node.kind === 'folder') return this.targetsOf(service);
    if (node.kind === 'target') {
      return listedOf(service)
        .filter((r) => r.target === node.name)
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((record) => ({ kind: 'deployment', root: service.workspaceRoot, record }));
    }
    return [];
  }

  private async targetsOf(service: DeploymentService): Promise<DeploymentsNode[]> {
    this.aliases.set(service.workspaceRoot, await service.aliases().catch(() => new Map<string, string[]>()));
    const records = listedOf(service);
    const names = new Set([...service.targets.map((t) => t.name), ...records.map((r) => r.target)]);
    return [...names].map((name) => ({
      kind: 'target',
      root: service.workspaceRoot,
      name,
      config: service.targets.find((t) => t.name === name),
    }));
  }

  getTreeItem(node: DeploymentsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'problems':
        return problemsItem(node.problems);
      case 'folder': {
        const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `deployments-folder:${node.root}`;
        item.iconPath = vscode.ThemeIcon.Folder;
        item.tooltip = node.root;
        return item;
      }
      case 'target':
        return targetItem(node);
      case 'deployment':
        return this.deploymentItem(node.root, node.record);
    }
  }

  private deploymentItem(root: string, record: DeploymentRecord): vscode.TreeItem {
    const service = this.services().find((s) => s.workspaceRoot === root);
    const served = servedVersion(record);
    const aliasesOf = this.aliases.get(root);
    const aliases =
      served.name !== undefined ? (aliasesOf?.get(`${served.name}@${served.version}`) ?? []) : ([] as string[]);
    const live = this.liveStates.get(record.id);
    const status = statusText(record, live);
    const item = new vscode.TreeItem(record.name, vscode.TreeItemCollapsibleState.None);
    item.id = `deployment:${root}:${record.target}/${record.name}`;
    const ready = record.status === 'ready';
    const split =
      ready && record.routing && record.routing.backends.length > 1 ? splitText(record.routing.backends) : undefined;
    const traffic = ready ? this.traffic.get(record.id) : undefined;
    item.description = [split ?? served.label, ...aliases, status, traffic, ready ? record.endpoint : undefined]
      .filter(Boolean)
      .join(' · ');
    item.iconPath = statusIcon(record, live);
    const rollback = service?.rollbackCandidate(record) ? ':rollback' : '';
    const monitored = ready && service?.isMonitored(record) ? ':monitored' : '';
    const canary = split ? ':canary' : '';
    item.contextValue = `deployment:${record.status}${monitored}${canary}${rollback}`;
    item.tooltip = deploymentTooltip(record, split ?? served.label, aliases, status, traffic);
    item.accessibilityInformation = { label: `${record.name}, ${served.label}, ${status}` };
    if (record.status === 'failed') {
      item.command = { command: 'trackside.showDeploymentLogs', title: 'Show Logs', arguments: [{ root, record }] };
    } else if (monitored) {
      item.command = { command: 'trackside.openDeployment', title: 'Open Deployment', arguments: [{ root, record }] };
    }
    return item;
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}

/** The newest record of each name on each target of a folder, unless it was undeployed. */
function listedOf(service: DeploymentService): DeploymentRecord[] {
  return service.store.latestPerName().filter((r) => r.status !== 'undeployed' && r.status !== 'replaced');
}

function problemsItem(problems: readonly string[]): vscode.TreeItem {
  const count = problems.length;
  const item = new vscode.TreeItem(`${TARGETS_SETTING} has ${count} problem${count === 1 ? '' : 's'}`);
  item.id = 'deployment-target-problems';
  item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
  item.description = problems[0];
  item.tooltip = new vscode.MarkdownString(problems.map((p) => `- ${p.replace(/[\\`*_[\]<>]/g, '\\$&')}`).join('\n'));
  item.command = { command: 'trackside.configureDeployTargets', title: 'Configure Deployment Targets' };
  item.contextValue = 'deploymentTargetProblems';
  return item;
}

function targetItem(node: { root: string; name: string; config: TargetConfig | undefined }): vscode.TreeItem {
  const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
  item.id = `deployment-target:${node.root}:${node.name}`;
  item.iconPath = new vscode.ThemeIcon(
    node.config?.kind === 'ssh' ? 'remote' : node.config ? 'server' : 'circle-slash',
  );
  item.description = node.config ? describeTarget(node.config) : `not in ${TARGETS_SETTING}`;
  item.contextValue = node.config ? 'deploymentTarget' : 'deploymentTarget:unconfigured';
  return item;
}

function statusText(record: DeploymentRecord, live: InstanceState | undefined): string {
  if (record.status === 'ready' && live && live.state !== 'ready' && live.state !== 'running') {
    return live.state === 'unknown' ? 'ready (status unknown)' : live.state;
  }
  if (record.status === 'failed' && record.error) return `failed: ${record.error.reason}`;
  return record.status;
}

function statusIcon(record: DeploymentRecord, live: InstanceState | undefined): vscode.ThemeIcon {
  switch (record.status) {
    case 'ready':
      return live?.state === 'unknown'
        ? new vscode.ThemeIcon('question')
        : new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed'));
    case 'deploying':
      return new vscode.ThemeIcon('loading~spin');
    case 'written':
      return new vscode.ThemeIcon('file-code');
    case 'failed':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    case 'replaced':
    case 'undeployed':
      return new vscode.ThemeIcon('circle-outline');
  }
}

function deploymentTooltip(
  record: DeploymentRecord,
  served: string,
  aliases: string[],
  status: string,
  traffic: string | undefined,
): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  const esc = (text: string) => text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
  md.appendMarkdown(`**${esc(record.name)}** on ${esc(record.target)} — ${esc(status)}\n\n`);
  md.appendMarkdown(`${esc(served)}${aliases.length ? ` · ${aliases.map((a) => `\`${esc(a)}\``).join(' ')}` : ''}\n\n`);
  md.appendMarkdown(`\`${record.modelRef}\`\n\n`);
  if (record.endpoint) md.appendMarkdown(`endpoint \`${record.endpoint}/v2/models/${record.modelName}/infer\`\n\n`);
  if (traffic) md.appendMarkdown(`${esc(traffic)}\n\n`);
  md.appendMarkdown(`updated ${new Date(record.updatedAt).toLocaleString()}`);
  if (record.error) {
    md.appendMarkdown(`\n\n---\n\n$(error) ${esc(record.error.message)}\n\n${esc(record.error.nextStep)}`);
    const tail = record.error.logTail.slice(-8);
    if (tail.length > 0) md.appendCodeblock(tail.join('\n'), 'log');
  }
  return md;
}
