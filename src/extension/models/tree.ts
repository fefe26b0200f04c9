import * as vscode from 'vscode';
import {
  listModels,
  listPushes,
  type ModelSummary,
  type ModelVersionRow,
  type PushRecord,
} from '../../core/store/models';
import type { FolderService } from '../workspace/folder-service';
import type { Folders } from '../workspace/folders';
import { escapeMarkdown, codeSpan } from '../markdown-text';

export type ModelsNode =
  /** A workspace folder, shown above its models in a multi-root workspace. */
  | { kind: 'folder'; root: string; name: string }
  | { kind: 'model'; root: string; name: string; summary: ModelSummary }
  /** `name`, `version` and `root` are top-level so commands receiving the node can read them directly. */
  | { kind: 'version'; root: string; name: string; version: number; row: ModelVersionRow }
  | { kind: 'source-run'; root: string; name: string; version: number; runId: string; runName: string | null }
  | { kind: 'artifact'; root: string; name: string; version: number; path: string; sha256: string | null }
  /** A push of the version to a registry; `push` is what "Copy Reference" and "Deploy…" read. */
  | { kind: 'push'; root: string; name: string; version: number; push: PushRecord };

type VersionNode = ModelsNode & { kind: 'version' };

/** What one folder has registered: its models and versions as nodes, and the pushes of each version. */
interface FolderModels {
  models: (ModelsNode & { kind: 'model' })[];
  versions: Map<string, VersionNode>;
  pushes: Map<string, PushRecord[]>;
}

/**
 * Models → versions (newest first, alias badges) → the version's source run, artifact and pushes;
 * under one node per workspace folder when there are several.
 */
export class ModelsTreeProvider implements vscode.TreeDataProvider<ModelsNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<ModelsNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly byFolder = new Map<string, FolderModels>();

  constructor(private readonly folders: Folders) {}

  refresh(): void {
    this.changeEmitter.fire(undefined);
  }

  versionNode(root: string, name: string, version: number): VersionNode | undefined {
    return this.byFolder.get(root)?.versions.get(`${name}@${version}`);
  }

  /** Reloads a folder's models so `versionNode` knows about versions registered since the last render. */
  async reload(folder: FolderService): Promise<FolderModels> {
    const store = await folder.store();
    const root = folder.root;
    const loaded: FolderModels = { models: [], versions: new Map(), pushes: listPushes(store) };
    for (const summary of listModels(store)) {
      loaded.models.push({ kind: 'model', root, name: summary.name, summary });
      for (const row of summary.versions) {
        loaded.versions.set(`${row.name}@${row.version}`, {
          kind: 'version',
          root,
          name: row.name,
          version: row.version,
          row,
        });
      }
    }
    this.byFolder.set(root, loaded);
    return loaded;
  }

  async getChildren(node?: ModelsNode): Promise<ModelsNode[]> {
    if (!node) {
      const folders = this.folders.withRuns();
      if (this.folders.isMultiRoot) return folders.map((f) => ({ kind: 'folder', root: f.root, name: f.name }));
      return folders[0] ? (await this.reload(folders[0])).models : [];
    }
    if (node.kind === 'folder') {
      const folder = this.folders.all().find((f) => f.root === node.root);
      return folder ? (await this.reload(folder)).models : [];
    }
    const loaded = this.byFolder.get(node.root);
    if (!loaded) return [];
    if (node.kind === 'model') {
      return node.summary.versions.map((v) => loaded.versions.get(`${v.name}@${v.version}`)!);
    }
    if (node.kind === 'version') {
      const { row, root } = node;
      return [
        { kind: 'source-run', root, name: row.name, version: row.version, runId: row.runId, runName: row.runName },
        { kind: 'artifact', root, name: row.name, version: row.version, path: row.artifactPath, sha256: row.sha256 },
        ...(loaded.pushes.get(`${row.name}@${row.version}`) ?? []).map((push): ModelsNode => ({
          kind: 'push',
          root,
          name: row.name,
          version: row.version,
          push,
        })),
      ];
    }
    return [];
  }

  getParent(node: ModelsNode): ModelsNode | undefined {
    if (node.kind === 'folder') return undefined;
    const folderNode = (): ModelsNode | undefined =>
      this.folders.isMultiRoot
        ? { kind: 'folder', root: node.root, name: this.folders.all().find((f) => f.root === node.root)?.name ?? '' }
        : undefined;
    const loaded = this.byFolder.get(node.root);
    if (node.kind === 'model') return folderNode();
    if (node.kind === 'version') return loaded?.models.find((m) => m.name === node.name);
    return loaded?.versions.get(`${node.name}@${node.version}`);
  }

  getTreeItem(node: ModelsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'folder': {
        const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `models-folder:${node.root}`;
        item.iconPath = vscode.ThemeIcon.Folder;
        item.tooltip = node.root;
        return item;
      }
      case 'model':
        return modelItem(node.root, node.summary);
      case 'version':
        return versionItem(node.root, node.row);
      case 'source-run': {
        const item = new vscode.TreeItem(node.runName ?? node.runId, vscode.TreeItemCollapsibleState.None);
        item.id = `model-run:${node.root}:${node.name}@${node.version}`;
        item.description = node.runName ? 'source run' : 'source run (folder deleted)';
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.contextValue = 'trackside.modelSourceRun';
        item.command = { command: 'trackside.openRun', title: 'Open Run', arguments: [node.runId] };
        return item;
      }
      case 'artifact': {
        const item = new vscode.TreeItem(node.path, vscode.TreeItemCollapsibleState.None);
        item.id = `model-artifact:${node.root}:${node.name}@${node.version}`;
        item.description = node.sha256 ? `sha256 ${node.sha256.slice(0, 12)}` : undefined;
        item.iconPath = new vscode.ThemeIcon('file-binary');
        item.tooltip = node.sha256 ? `sha256 ${node.sha256}` : undefined;
        return item;
      }
      case 'push':
        return pushItem(node.root, node.push);
    }
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}

function modelItem(root: string, summary: ModelSummary): vscode.TreeItem {
  const item = new vscode.TreeItem(summary.name, vscode.TreeItemCollapsibleState.Expanded);
  item.id = `model:${root}:${summary.name}`;
  item.iconPath = new vscode.ThemeIcon('package');
  const count = summary.versions.length;
  const aliases = summary.versions.flatMap((v) => v.aliases.map((a) => `${a} → v${v.version}`));
  item.description = [`${count} version${count === 1 ? '' : 's'}`, ...aliases].join(' · ');
  item.contextValue = 'trackside.model';
  return item;
}

/** The label carries the aliases, highlighted, so they read as badges beside the version. */
function versionItem(root: string, row: ModelVersionRow): vscode.TreeItem {
  const base = `v${row.version}`;
  let label = base;
  const highlights: [number, number][] = [];
  for (const alias of row.aliases) {
    label += '  ';
    highlights.push([label.length, label.length + alias.length]);
    label += alias;
  }
  const item = new vscode.TreeItem({ label, highlights }, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `model-version:${root}:${row.name}@${row.version}`;
  item.iconPath = new vscode.ThemeIcon(row.aliases.length > 0 ? 'verified-filled' : 'versions');
  item.description = `${row.runName ?? row.runId} · ${new Date(row.createdAt).toLocaleString()}`;
  item.contextValue = row.aliases.length > 0 ? 'trackside.modelVersion.aliased' : 'trackside.modelVersion';
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escapeMarkdown(row.name)} v${row.version}**`);
  if (row.aliases.length > 0) md.appendMarkdown(` · ${row.aliases.map((a) => codeSpan(a)).join(' ')}`);
  md.appendMarkdown(`\n\n$(beaker) ${escapeMarkdown(row.runName ?? row.runId)} · ${codeSpan(row.artifactPath)}`);
  if (row.sha256) md.appendMarkdown(`\n\nsha256 \`${row.sha256}\``);
  md.appendMarkdown(`\n\nregistered ${new Date(row.createdAt).toLocaleString()} by ${escapeMarkdown(row.actor)}`);
  item.tooltip = md;
  item.accessibilityInformation = {
    label: `${row.name} version ${row.version}${row.aliases.length ? `, aliases ${row.aliases.join(', ')}` : ''}`,
  };
  return item;
}

/** "pushed to 127.0.0.1:5000/team/churn:v3 @sha256:1a2b3c4d5e6f…" */
function pushItem(root: string, push: PushRecord): vscode.TreeItem {
  const target = `${push.registry}/${push.repository}${push.tag ? `:${push.tag}` : ''}`;
  const shortDigest = `${push.digest.slice(0, 19)}…`;
  const item = new vscode.TreeItem(`pushed to ${target}`, vscode.TreeItemCollapsibleState.None);
  item.id = `model-push:${root}:${push.name}@${push.version}:${push.registry}/${push.repository}:${push.tag ?? ''}@${push.digest}`;
  item.description = `@${shortDigest}`;
  item.iconPath = new vscode.ThemeIcon('cloud-upload');
  item.contextValue = 'push';
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`$(cloud-upload) **${escapeMarkdown(target)}**\n\n${codeSpan(push.reference)}`);
  md.appendMarkdown(`\n\npushed ${new Date(push.pushedAt).toLocaleString()} by ${escapeMarkdown(push.actor)}`);
  item.tooltip = md;
  item.accessibilityInformation = { label: `pushed to ${target} @${shortDigest}` };
  return item;
}
