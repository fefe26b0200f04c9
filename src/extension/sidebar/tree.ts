import * as vscode from 'vscode';
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
} from '../../core/store/queries-runs';
import { defaultPrimaryMetric } from '../../core/metrics/primary-metric';
import { formatAge, formatDuration, formatNumber } from '../../core/format/numbers';
import { SWEEP_TAG } from '../../core/sweeps/sweep-record';
import type { IndexService } from '../index/index-service';
import type { RunTreeExtension, SweepNode } from '../sweeps/sweep-groups';
import type { RunListSettings } from './list-settings';

export const PAGE_SIZE = 200;

export type ExperimentsNode =
  | { kind: 'experiment'; name: string; runCount: number }
  | {
      kind: 'run';
      runId: string;
      run: RunRow;
      summaries: SummaryEntry[];
      primary: string | undefined;
      /** The sweep group it is listed under, for a sweep's trial. */
      sweep?: SweepNode;
    }
  | { kind: 'more'; experiment: string; shown: number; total: number }
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
 * Experiments → runs, newest first, one page at a time (a "Load more" row fetches the next page),
 * so a workspace with 100,000 runs opens as fast as one with ten. Reads only the index.
 */
export class ExperimentsTreeProvider implements vscode.TreeDataProvider<ExperimentsNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<ExperimentsNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  /** Rows shown per experiment: grows by a page each time the user asks for more. */
  private readonly shown = new Map<string, number>();
  private readonly runNodes = new Map<string, ExperimentsNode & { kind: 'run' }>();
  private refreshTimer: NodeJS.Timeout | undefined;
  /** Sweep groups and Slurm placement, added by the compute features (src/extension/sweeps). */
  private extension: RunTreeExtension | undefined;

  constructor(
    private readonly index: IndexService,
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

  showMore(experiment: string): void {
    this.shown.set(experiment, (this.shown.get(experiment) ?? PAGE_SIZE) + PAGE_SIZE);
    this.refresh();
  }

  /** The node of a run that is currently listed, for reveal and selection sync. */
  runNode(runId: string): ExperimentsNode | undefined {
    return this.runNodes.get(runId);
  }

  async getChildren(node?: ExperimentsNode): Promise<ExperimentsNode[]> {
    if (!this.index.hasRuns()) return [];
    const store = await this.index.store();
    if (!node) {
      const experiments = listExperiments(store).filter((e) => e.runCount > 0);
      return experiments.map((e) => ({ kind: 'experiment', name: e.name, runCount: e.runCount }));
    }
    if (node.kind === 'sweep') return this.runsOf(store, node.experiment, node);
    if (node.kind !== 'experiment') return [];
    const sweeps = (await this.extension?.sweepsOf(node.name)) ?? [];
    return [...sweeps, ...this.runsOf(store, node.name)];
  }

  private runsOf(store: IndexStore, experiment: string, sweep?: SweepNode): ExperimentsNode[] {
    const filter = this.settings.filter;
    const primary = this.settings.primaryMetric(experiment);
    const sortKey = this.settings.sortMetric(experiment);
    // A sweep lists all its trials; the experiment's own list leaves them to their sweep group.
    const limit = sweep ? 10_000 : (this.shown.get(experiment) ?? PAGE_SIZE);
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
      const node = { kind: 'run' as const, runId: run.id, run, summaries, primary: chosen, sweep };
      this.runNodes.set(run.id, node);
      return node;
    });
    if (page.total > page.rows.length) {
      nodes.push({ kind: 'more', experiment, shown: page.rows.length, total: page.total });
    }
    return nodes;
  }

  getTreeItem(node: ExperimentsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'experiment': {
        const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `experiment:${node.name}`;
        item.description = `${node.runCount} run${node.runCount === 1 ? '' : 's'}`;
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.contextValue = 'experiment';
        return item;
      }
      case 'more': {
        const item = new vscode.TreeItem(`Load more… (${node.shown} of ${node.total})`);
        item.id = `more:${node.experiment}`;
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.command = { command: 'trackside.loadMoreRuns', title: 'Load More Runs', arguments: [node.experiment] };
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
    if (node.kind === 'run') return node.sweep ?? { kind: 'experiment', name: node.run.experiment, runCount: 0 };
    if (node.kind === 'sweep') return { kind: 'experiment', name: node.experiment, runCount: 0 };
    return undefined;
  }

  async resolveTreeItem(item: vscode.TreeItem, node: ExperimentsNode): Promise<vscode.TreeItem> {
    if (node.kind !== 'run') return item;
    const store = await this.index.store();
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
  md.appendMarkdown(`**${escape(run.name)}** · ${run.status}`);
  if (run.exitCode !== null && run.status !== 'finished') md.appendMarkdown(` (exit ${run.exitCode})`);
  md.appendMarkdown(`\n\n${escape(run.experiment)} · ${new Date(run.createdAt).toLocaleString()}`);
  if (run.startedAt && run.endedAt)
    md.appendMarkdown(` · ${formatDuration(Date.parse(run.endedAt) - Date.parse(run.startedAt))}`);
  if (run.gitCommit) {
    md.appendMarkdown(
      `\n\n$(git-commit) \`${run.gitCommit.slice(0, 8)}\`${run.gitBranch ? ` on ${escape(run.gitBranch)}` : ''}${run.gitDirty ? ' + uncommitted changes' : ''}`,
    );
  }
  if (run.message && run.status !== 'finished') md.appendMarkdown(`\n\n${escape(run.message)}`);
  if (params.length > 0) {
    md.appendMarkdown('\n\n| param | value |\n|---|---|\n');
    for (const p of params)
      md.appendMarkdown(`| ${escape(p.key)} | ${escape(p.number !== null ? String(p.number) : (p.text ?? ''))} |\n`);
  }
  if (node.summaries.length > 0) {
    md.appendMarkdown('\n\n| metric | last | min | max |\n|---|---|---|---|\n');
    for (const s of node.summaries) {
      md.appendMarkdown(
        `| ${escape(s.key)} | ${formatNumber(s.last)} | ${formatNumber(s.min)} | ${formatNumber(s.max)} |\n`,
      );
    }
  }
  if (run.note) md.appendMarkdown(`\n\n---\n\n${escape(run.note)}`);
  if (run.malformedLines > 0)
    md.appendMarkdown(`\n\n$(warning) ${run.malformedLines} malformed event line(s) were skipped`);
  return md;
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
