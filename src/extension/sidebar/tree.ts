import * as vscode from 'vscode';
import { CommandArgs } from '../command-args';
import type { RunStatusValue } from '../../core/runs/protocol';
import type { IndexStore } from '../../core/store/database';
import {
  listExperiments,
  paramsForRuns,
  queryRuns,
  summariesForRuns,
  type ParamEntry,
  type RunRow,
  type SummaryEntry,
} from '../../core/store/runs';
import { defaultPrimaryMetric } from '../../core/metrics/primary-metric';
import { formatAge, formatDuration, formatNumber } from '../../core/format/numbers';
import { SWEEP_TAG } from '../../core/sweeps/sweep-record';
import { RefusedError } from '../refusal';
import type { FolderService } from '../workspace/folder-service';
import type { Folders } from '../workspace/folders';
import type { RunTreeExtension, SweepNode } from '../sweeps/sweep-groups';
import type { RunListSettings } from './list-settings';
import { escapeMarkdown } from '../markdown-text';

export const PAGE_SIZE = 200;

export type ExperimentsNode =
  /** A workspace folder, above its experiments when the workspace has several. */
  | { kind: 'folder'; root: string; name: string }
  | { kind: 'experiment'; root: string; name: string; runCount: number }
  | {
      kind: 'run';
      root: string;
      runId: string;
      run: RunRow;
      summaries: SummaryEntry[];
      primary: string | undefined;
      /** The sweep group it is listed under, for a sweep's trial. */
      sweep?: SweepNode;
    }
  | { kind: 'more'; root: string; experiment: string; shown: number; total: number }
  | SweepNode;

const STATUS_ICONS: Record<RunStatusValue, vscode.ThemeIcon> = {
  running: new vscode.ThemeIcon('loading~spin', new vscode.ThemeColor('charts.blue')),
  finished: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  killed: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('testing.iconSkipped')),
  queued: new vscode.ThemeIcon('clock'),
  pending: new vscode.ThemeIcon('watch'),
};

/**
 * The runs an action applies to: those the arguments name (the clicked row, the multi-selection, ids
 * another command passed), else the rows selected in the Experiments view.
 */
export function selectedRunIds(args: readonly unknown[], view: vscode.TreeView<ExperimentsNode>): string[] {
  const given = CommandArgs.runIds(args);
  const ids = given.length > 0 ? given : CommandArgs.runIds([view.selection]);
  if (ids.length === 0) throw new RefusedError('no-selection', 'Select a run in the Experiments view first.');
  return ids;
}

/**
 * [Folder →] experiments → runs, newest first, one page at a time (a "Load more" row fetches the
 * next page), so a workspace with 100,000 runs opens as fast as one with ten. A folder level is
 * shown only in a multi-root workspace. Reads only the index.
 */
export class ExperimentsTreeProvider implements vscode.TreeDataProvider<ExperimentsNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<ExperimentsNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  /** Rows shown per experiment (`root\0experiment`): grows by a page each time the user asks for more. */
  private readonly shown = new Map<string, number>();
  private readonly runNodes = new Map<string, ExperimentsNode & { kind: 'run' }>();
  private refreshTimer: NodeJS.Timeout | undefined;
  /** Sweep groups and Slurm placement, added by the compute features (src/extension/sweeps). */
  private extension: RunTreeExtension | undefined;

  constructor(
    private readonly folders: Folders,
    private readonly settings: RunListSettings,
  ) {}

  /** Coalesces bursts of index changes (a run logging fast) into at most a few refreshes a second. */
  scheduleRefresh(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.changeEmitter.fire(undefined);
    }, 250);
  }

  refresh(): void {
    this.changeEmitter.fire(undefined);
  }

  extend(extension: RunTreeExtension): void {
    this.extension = extension;
    this.refresh();
  }

  showMore(root: string, experiment: string): void {
    const key = `${root}\0${experiment}`;
    this.shown.set(key, (this.shown.get(key) ?? PAGE_SIZE) + PAGE_SIZE);
    this.refresh();
  }

  /** The node of a run that is currently listed, for reveal and selection sync. */
  runNode(runId: string): ExperimentsNode | undefined {
    return this.runNodes.get(runId);
  }

  async getChildren(node?: ExperimentsNode): Promise<ExperimentsNode[]> {
    if (!node) {
      const folders = this.folders.withRuns();
      if (this.folders.isMultiRoot) return folders.map((f) => ({ kind: 'folder', root: f.root, name: f.name }));
      return folders[0] ? this.experimentsOf(folders[0]) : [];
    }
    const folder = this.folders.all().find((f) => f.root === node.root);
    if (!folder?.hasRuns()) return [];
    if (node.kind === 'folder') return this.experimentsOf(folder);
    const store = await folder.store();
    if (node.kind === 'sweep') return this.runsOf(store, node.root, node.experiment, node);
    if (node.kind !== 'experiment') return [];
    const sweeps = (await this.extension?.sweepsOf(node.root, node.name)) ?? [];
    return [...sweeps, ...this.runsOf(store, node.root, node.name)];
  }

  private async experimentsOf(folder: FolderService): Promise<ExperimentsNode[]> {
    const experiments = listExperiments(await folder.store()).filter((e) => e.runCount > 0);
    return experiments.map((e) => ({ kind: 'experiment', root: folder.root, name: e.name, runCount: e.runCount }));
  }

  private runsOf(store: IndexStore, root: string, experiment: string, sweep?: SweepNode): ExperimentsNode[] {
    const filter = this.settings.filter;
    const primary = this.settings.primaryMetric(experiment);
    const sortKey = this.settings.sortMetric(experiment);
    // A sweep lists all its trials; the experiment's own list leaves them to their sweep group.
    const limit = sweep ? 10_000 : (this.shown.get(`${root}\0${experiment}`) ?? PAGE_SIZE);
    const page = queryRuns(store, {
      experiment,
      text: filter.text || undefined,
      status: filter.statuses.length > 0 ? filter.statuses : undefined,
      tag: sweep ? { key: SWEEP_TAG, value: sweep.progress.id } : filter.tag,
      withoutTag: !sweep && this.extension ? SWEEP_TAG : undefined,
      sort: sortKey ? { by: 'metric', key: sortKey.key } : { by: 'created' },
      // A sweep's trials read in trial order unless the user sorts by a metric.
      direction: sortKey ? sortKey.direction : sweep ? 'asc' : 'desc',
      limit,
    });
    const summaries = summariesForRuns(
      store,
      page.rows.map((r) => r.id),
    );
    const byRun = new Map<string, SummaryEntry[]>();
    for (const s of summaries) byRun.set(s.runId, [...(byRun.get(s.runId) ?? []), s]);
    const experimentKeys = [...new Set(summaries.map((s) => s.key))];
    const chosen = primary ?? defaultPrimaryMetric(experimentKeys);
    const nodes: ExperimentsNode[] = page.rows.map((run) => {
      const summaries = byRun.get(run.id) ?? [];
      const node = { kind: 'run' as const, root, runId: run.id, run, summaries, primary: chosen, sweep };
      this.runNodes.set(run.id, node);
      return node;
    });
    if (page.total > page.rows.length) {
      nodes.push({ kind: 'more', root, experiment, shown: page.rows.length, total: page.total });
    }
    return nodes;
  }

  getTreeItem(node: ExperimentsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'folder': {
        const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `folder:${node.root}`;
        item.iconPath = vscode.ThemeIcon.Folder;
        item.tooltip = node.root;
        item.contextValue = 'folder';
        return item;
      }
      case 'experiment': {
        const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `experiment:${node.root}:${node.name}`;
        item.description = `${node.runCount} run${node.runCount === 1 ? '' : 's'}`;
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.contextValue = 'experiment';
        return item;
      }
      case 'more': {
        const item = new vscode.TreeItem(`Load more… (${node.shown} of ${node.total})`);
        item.id = `more:${node.root}:${node.experiment}`;
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.command = { command: 'trackside.loadMoreRuns', title: 'Load More Runs', arguments: [node] };
        item.contextValue = 'more';
        return item;
      }
      case 'run': {
        const item = runItem(node);
        const note = this.extension?.runNote(node.runId);
        if (note) item.description = `${note} · ${String(item.description)}`;
        return item;
      }
      case 'sweep':
        return this.extension!.sweepItem(node);
    }
  }

  getParent(node: ExperimentsNode): ExperimentsNode | undefined {
    if (node.kind === 'folder') return undefined;
    const experiment = (name: string): ExperimentsNode => ({ kind: 'experiment', root: node.root, name, runCount: 0 });
    if (node.kind === 'run') return node.sweep ?? experiment(node.run.experiment);
    if (node.kind === 'sweep') return experiment(node.experiment);
    if (!this.folders.isMultiRoot) return undefined;
    return { kind: 'folder', root: node.root, name: this.folders.all().find((f) => f.root === node.root)?.name ?? '' };
  }

  async resolveTreeItem(item: vscode.TreeItem, node: ExperimentsNode): Promise<vscode.TreeItem> {
    const folder = node.kind === 'run' ? this.folders.all().find((f) => f.root === node.root) : undefined;
    if (node.kind !== 'run' || !folder) return item;
    const store = await folder.store();
    const tooltip = runTooltip(node, paramsForRuns(store, [node.run.id]));
    const placement = await this.extension?.placement(node.run.id);
    if (placement) tooltip.appendMarkdown(`\n\n${placement}`);
    item.tooltip = tooltip;
    return item;
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.changeEmitter.dispose();
  }
}

function runItem(node: ExperimentsNode & { kind: 'run' }): vscode.TreeItem {
  const { run } = node;
  const item = new vscode.TreeItem(run.name, vscode.TreeItemCollapsibleState.None);
  item.id = `run:${run.id}`;
  item.iconPath = STATUS_ICONS[run.status];
  const primary = node.summaries.find((s) => s.key === node.primary);
  const value = primary?.last ?? null;
  item.description = primary
    ? `${primary.key} ${value === null ? 'NaN' : formatNumber(value)}`
    : formatAge(run.createdAt);
  item.contextValue = `run:${run.status}`;
  item.command = { command: 'trackside.openRun', title: 'Open Run', arguments: [run.id] };
  item.accessibilityInformation = { label: `${run.name}, ${run.status}${primary ? `, ${item.description}` : ''}` };
  return item;
}

function runTooltip(node: ExperimentsNode & { kind: 'run' }, params: ParamEntry[]): vscode.MarkdownString {
  const { run } = node;
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escapeMarkdown(run.name)}** · ${run.status}`);
  if (run.exitCode !== null && run.status !== 'finished') md.appendMarkdown(` (exit ${run.exitCode})`);
  md.appendMarkdown(`\n\n${escapeMarkdown(run.experiment)} · ${new Date(run.createdAt).toLocaleString()}`);
  if (run.startedAt && run.endedAt)
    md.appendMarkdown(` · ${formatDuration(Date.parse(run.endedAt) - Date.parse(run.startedAt))}`);
  if (run.gitCommit) {
    md.appendMarkdown(
      `\n\n$(git-commit) \`${run.gitCommit.slice(0, 8)}\`${run.gitBranch ? ` on ${escapeMarkdown(run.gitBranch)}` : ''}${run.gitDirty ? ' + uncommitted changes' : ''}`,
    );
  }
  if (run.message && run.status !== 'finished') md.appendMarkdown(`\n\n${escapeMarkdown(run.message)}`);
  if (params.length > 0) {
    md.appendMarkdown('\n\n| param | value |\n|---|---|\n');
    for (const p of params)
      md.appendMarkdown(
        `| ${escapeMarkdown(p.key)} | ${escapeMarkdown(p.number !== null ? String(p.number) : (p.text ?? ''))} |\n`,
      );
  }
  if (node.summaries.length > 0) {
    md.appendMarkdown('\n\n| metric | last | min | max |\n|---|---|---|---|\n');
    for (const s of node.summaries) {
      md.appendMarkdown(
        `| ${escapeMarkdown(s.key)} | ${formatNumber(s.last)} | ${formatNumber(s.min)} | ${formatNumber(s.max)} |\n`,
      );
    }
  }
  if (run.note) md.appendMarkdown(`\n\n---\n\n${escapeMarkdown(run.note)}`);
  if (run.malformedLines > 0)
    md.appendMarkdown(`\n\n$(warning) ${run.malformedLines} malformed event line(s) were skipped`);
  return md;
}
