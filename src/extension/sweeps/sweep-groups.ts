import * as vscode from 'vscode';
import { queryRuns } from '../../core/store/runs';
import { formatNumber } from '../../core/format/numbers';
import type { SweepProgress } from '../../core/sweeps/progress';
import { listSweepIds, readSweepRecord, SWEEP_TAG, type SweepRecord } from '../../core/sweeps/sweep-record';
import type { FolderService } from '../workspace/folder-service';
import { describeProgress, progressFromIndex } from './sweep-progress';
import { escapeMarkdown, codeSpan } from '../markdown-text';

/** A sweep's group in the Experiments view: its trial runs are listed under it, not beside it. */
export interface SweepNode {
  kind: 'sweep';
  /** The workspace folder of the sweep's runs. */
  root: string;
  experiment: string;
  progress: SweepProgress;
  source: string | null;
}

/** What the Experiments tree asks the compute features for (sweep groups, Slurm placement). */
export interface RunTreeExtension {
  /** Sweep groups shown first inside an experiment of a workspace folder, newest first. */
  sweepsOf(root: string, experiment: string): Promise<SweepNode[]>;
  sweepItem(node: SweepNode): vscode.TreeItem;
  /** A short note beside a run's row (a Slurm job id and state), if any. */
  runNote(runId: string): string | undefined;
  /** Where the run ran (local host or Slurm job, node, GPUs), as markdown for its tooltip. */
  placement(runId: string): Promise<string>;
}

/**
 * The workspace's sweeps with their progress, read from the index (statuses and metric summaries
 * of the trial runs, found by their sweep tag), so the view never scans run folders. Sweep records
 * are cached once every trial has its run.
 */
export class SweepGroups {
  private readonly records = new Map<string, SweepRecord>();

  constructor(private readonly index: FolderService) {}

  async sweepsOf(experiment: string): Promise<SweepNode[]> {
    if (!this.index.hasRuns()) return [];
    const store = await this.index.store();
    const records = await this.readRecords();
    if (records.length === 0) return [];
    const rows = queryRuns(store, { experiment, tag: { key: SWEEP_TAG }, limit: 10_000 }).rows;
    const byId = new Map(rows.map((r) => [r.id, r]));
    const nodes: SweepNode[] = [];
    for (const record of records) {
      if (!record.trials.some((t) => t.runId && byId.has(t.runId))) continue;
      nodes.push({
        kind: 'sweep',
        root: this.index.root,
        experiment,
        progress: progressFromIndex(store, record, byId),
        source: record.source,
      });
    }
    return nodes.reverse();
  }

  /** Every sweep with at least one indexed run, newest first (for pickers). */
  async all(): Promise<SweepNode[]> {
    if (!this.index.hasRuns()) return [];
    const store = await this.index.store();
    const rows = queryRuns(store, { tag: { key: SWEEP_TAG }, limit: 10_000 }).rows;
    const byId = new Map(rows.map((r) => [r.id, r]));
    const nodes: SweepNode[] = [];
    for (const record of await this.readRecords()) {
      const first = record.trials.map((t) => (t.runId ? byId.get(t.runId) : undefined)).find(Boolean);
      if (!first) continue;
      nodes.push({
        kind: 'sweep',
        root: this.index.root,
        experiment: first.experiment,
        progress: progressFromIndex(store, record, byId),
        source: record.source,
      });
    }
    return nodes.reverse();
  }

  private async readRecords(): Promise<SweepRecord[]> {
    const records: SweepRecord[] = [];
    for (const id of await listSweepIds(this.index.root)) {
      let record = this.records.get(id);
      if (!record) {
        try {
          record = await readSweepRecord(this.index.root, id);
        } catch {
          continue; // being written, or edited by hand: shown once it reads
        }
        // A launch in progress fills in runs trial by trial: keep reading it until it is complete.
        if (record.trials.every((t) => t.runId !== null || t.error !== null)) this.records.set(id, record);
      }
      records.push(record);
    }
    return records;
  }
}

export function sweepTreeItem(node: SweepNode): vscode.TreeItem {
  const p = node.progress;
  const item = new vscode.TreeItem(`sweep ${p.name}`, vscode.TreeItemCollapsibleState.Expanded);
  item.id = `sweep:${node.root}:${p.id}`;
  item.description = describeProgress(p);
  const active = p.running > 0;
  item.iconPath = new vscode.ThemeIcon(
    active ? 'layers-active' : 'layers',
    active ? new vscode.ThemeColor('charts.blue') : undefined,
  );
  item.contextValue = 'sweep';
  item.accessibilityInformation = { label: `sweep ${p.name}, ${item.description}` };
  item.tooltip = sweepTooltip(node);
  return item;
}

function sweepTooltip(node: SweepNode): vscode.MarkdownString {
  const p = node.progress;
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(
    `**sweep ${escapeMarkdown(p.name)}** · ${p.metric.goal === 'min' ? 'minimise' : 'maximise'} ${codeSpan(p.metric.name)}`,
  );
  if (node.source) md.appendMarkdown(`\n\n${escapeMarkdown(vscode.workspace.asRelativePath(node.source))}`);
  const keys = Object.keys(p.trials[0]?.params ?? {});
  md.appendMarkdown(
    `\n\n| trial | ${keys.map(escapeMarkdown).join(' | ')} | status | ${escapeMarkdown(p.metric.name)} |\n`,
  );
  md.appendMarkdown(`|---|${keys.map(() => '---|').join('')}---|---|\n`);
  for (const t of p.trials) {
    const star = p.best?.index === t.index ? ' ★' : '';
    const status = t.status ?? (t.error ? 'not submitted' : '–');
    const value = t.value === null ? '–' : formatNumber(t.value);
    md.appendMarkdown(
      `| ${t.index + 1}${star} | ${keys.map((k) => escapeMarkdown(String(t.params[k]))).join(' | ')} | ${status} | ${value} |\n`,
    );
  }
  const refused = p.trials.find((t) => t.error);
  if (refused?.error)
    md.appendMarkdown(`\n\n$(error) Slurm refused trial ${refused.index + 1}: ${escapeMarkdown(refused.error)}`);
  return md;
}
