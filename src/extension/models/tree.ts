import * as vscode from 'vscode';
import type { ModelSummary, ModelVersionRow } from '../../core/models/queries';
import type { PushNodeRecord } from '../registry/push-records';

export type ModelsNode =
  | { kind: 'model'; name: string; summary: ModelSummary }
  /** `name` and `version` are top-level so commands receiving the node can read them directly. */
  | { kind: 'version'; name: string; version: number; row: ModelVersionRow }
  | { kind: 'source-run'; name: string; version: number; runId: string; runName: string | null }
  | { kind: 'artifact'; name: string; version: number; path: string; sha256: string | null }
  /** A push of the version to a registry; `push` is what "Copy Reference" and "Deploy…" read. */
  | { kind: 'push'; name: string; version: number; push: PushNodeRecord };

/** Models → versions (newest first, alias badges) → the version's source run and artifact. */
export class ModelsTreeProvider implements vscode.TreeDataProvider<ModelsNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<ModelsNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private models: ModelSummary[] = [];
  private readonly modelNodes = new Map<string, ModelsNode & { kind: 'model' }>();
  private readonly versionNodes = new Map<string, ModelsNode & { kind: 'version' }>();

  private pushes = new Map<string, PushNodeRecord[]>();

  constructor(
    private readonly load: () => Promise<ModelSummary[]>,
    /** Pushes by `name@version`, newest first. */
    private readonly loadPushes: () => Promise<Map<string, PushNodeRecord[]>> = async () => new Map(),
  ) {}

  refresh(): void {
    this.changeEmitter.fire(undefined);
  }

  versionNode(name: string, version: number): (ModelsNode & { kind: 'version' }) | undefined {
    return this.versionNodes.get(`${name}@${version}`);
  }

  /** Reloads the models so `versionNode` knows about versions registered since the last render. */
  async reload(): Promise<void> {
    // In order: loading the models brings the index up to date with the journals the pushes come from.
    const models = await this.load();
    this.pushes = await this.loadPushes();
    this.setModels(models);
  }

  private setModels(models: ModelSummary[]): void {
    this.models = models;
    this.modelNodes.clear();
    this.versionNodes.clear();
    for (const summary of models) {
      this.modelNodes.set(summary.name, { kind: 'model', name: summary.name, summary });
      for (const row of summary.versions) {
        this.versionNodes.set(`${row.name}@${row.version}`, {
          kind: 'version',
          name: row.name,
          version: row.version,
          row,
        });
      }
    }
  }

  async getChildren(node?: ModelsNode): Promise<ModelsNode[]> {
    if (!node) {
      await this.reload();
      return this.models.map((m) => this.modelNodes.get(m.name)!);
    }
    if (node.kind === 'model') {
      return node.summary.versions.map((v) => this.versionNodes.get(`${v.name}@${v.version}`)!);
    }
    if (node.kind === 'version') {
      const { row } = node;
      return [
        { kind: 'source-run', name: row.name, version: row.version, runId: row.runId, runName: row.runName },
        { kind: 'artifact', name: row.name, version: row.version, path: row.artifactPath, sha256: row.sha256 },
        ...(this.pushes.get(`${row.name}@${row.version}`) ?? []).map((push): ModelsNode => ({
          kind: 'push',
          name: row.name,
          version: row.version,
          push,
        })),
      ];
    }
    return [];
  }

  getParent(node: ModelsNode): ModelsNode | undefined {
    if (node.kind === 'model') return undefined;
    if (node.kind === 'version') return this.modelNodes.get(node.name);
    return this.versionNodes.get(`${node.name}@${node.version}`);
  }

  getTreeItem(node: ModelsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'model':
        return modelItem(node.summary);
      case 'version':
        return versionItem(node.row);
      case 'source-run': {
        const item = new vscode.TreeItem(node.runName ?? node.runId, vscode.TreeItemCollapsibleState.None);
        item.id = `model-run:${node.name}@${node.version}`;
        item.description = node.runName ? 'source run' : 'source run (folder deleted)';
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.contextValue = 'trackside.modelSourceRun';
        item.command = { command: 'trackside.openRun', title: 'Open Run', arguments: [node.runId] };
        return item;
      }
      case 'artifact': {
        const item = new vscode.TreeItem(node.path, vscode.TreeItemCollapsibleState.None);
        item.id = `model-artifact:${node.name}@${node.version}`;
        item.description = node.sha256 ? `sha256 ${node.sha256.slice(0, 12)}` : undefined;
        item.iconPath = new vscode.ThemeIcon('file-binary');
        item.tooltip = node.sha256 ? `sha256 ${node.sha256}` : undefined;
        return item;
      }
      case 'push':
        return pushItem(node.push);
    }
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}

function modelItem(summary: ModelSummary): vscode.TreeItem {
  const item = new vscode.TreeItem(summary.name, vscode.TreeItemCollapsibleState.Expanded);
  item.id = `model:${summary.name}`;
  item.iconPath = new vscode.ThemeIcon('package');
  const count = summary.versions.length;
  const aliases = summary.versions.flatMap((v) => v.aliases.map((a) => `${a} → v${v.version}`));
  item.description = [`${count} version${count === 1 ? '' : 's'}`, ...aliases].join(' · ');
  item.contextValue = 'trackside.model';
  return item;
}

/** The label carries the aliases, highlighted, so they read as badges beside the version. */
function versionItem(row: ModelVersionRow): vscode.TreeItem {
  const base = `v${row.version}`;
  let label = base;
  const highlights: [number, number][] = [];
  for (const alias of row.aliases) {
    label += '  ';
    highlights.push([label.length, label.length + alias.length]);
    label += alias;
  }
  const item = new vscode.TreeItem({ label, highlights }, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `model-version:${row.name}@${row.version}`;
  item.iconPath = new vscode.ThemeIcon(row.aliases.length > 0 ? 'verified-filled' : 'versions');
  item.description = `${row.runName ?? row.runId} · ${new Date(row.createdAt).toLocaleString()}`;
  item.contextValue = row.aliases.length > 0 ? 'trackside.modelVersion.aliased' : 'trackside.modelVersion';
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escape(row.name)} v${row.version}**`);
  if (row.aliases.length > 0) md.appendMarkdown(` · ${row.aliases.map((a) => `\`${escape(a)}\``).join(' ')}`);
  md.appendMarkdown(`\n\n$(beaker) ${escape(row.runName ?? row.runId)} · \`${escape(row.artifactPath)}\``);
  if (row.sha256) md.appendMarkdown(`\n\nsha256 \`${row.sha256}\``);
  md.appendMarkdown(`\n\nregistered ${new Date(row.createdAt).toLocaleString()} by ${escape(row.actor)}`);
  item.tooltip = md;
  item.accessibilityInformation = {
    label: `${row.name} version ${row.version}${row.aliases.length ? `, aliases ${row.aliases.join(', ')}` : ''}`,
  };
  return item;
}

/** "pushed to 127.0.0.1:5000/team/churn:v3 @sha256:1a2b3c4d5e6f…" */
function pushItem(push: PushNodeRecord): vscode.TreeItem {
  const target = `${push.registry}/${push.repository}${push.tag ? `:${push.tag}` : ''}`;
  const shortDigest = `${push.digest.slice(0, 19)}…`;
  const item = new vscode.TreeItem(`pushed to ${target}`, vscode.TreeItemCollapsibleState.None);
  item.id = `model-push:${push.name}@${push.version}:${push.registry}/${push.repository}:${push.tag ?? ''}@${push.digest}`;
  item.description = `@${shortDigest}`;
  item.iconPath = new vscode.ThemeIcon('cloud-upload');
  item.contextValue = 'push';
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`$(cloud-upload) **${escape(target)}**\n\n\`${push.reference}\``);
  md.appendMarkdown(`\n\npushed ${new Date(push.pushedAt).toLocaleString()} by ${escape(push.actor)}`);
  item.tooltip = md;
  item.accessibilityInformation = { label: `pushed to ${target} @${shortDigest}` };
  return item;
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
