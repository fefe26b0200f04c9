import * as vscode from 'vscode';
import { metricDirection } from '../../core/metrics/direction';
import { RunStatusValue } from '../../core/runs/protocol';
import { listExperiments, metricKeysOfExperiment } from '../../core/store/runs';
import { CommandArgs } from '../command-args';
import { registerCommand } from '../command-registry';
import { RefusedError } from '../refusal';
import type { Services } from '../services';
import type { FolderService } from '../workspace/folder-service';
import type { RunListSettings } from './list-settings';
import type { ExperimentsNode, ExperimentsTreeProvider } from './tree';
import { isSystemMetric } from '../../core/metrics/system-keys';

export interface ExperimentsViewContext {
  tree: ExperimentsTreeProvider;
  view: vscode.TreeView<ExperimentsNode>;
  listSettings: RunListSettings;
}

/** The Experiments view's own commands: refresh, load more, filter, sort, primary metric, focus a run. */
export function registerExperimentsViewCommands(
  services: Services,
  context: ExperimentsViewContext,
): vscode.Disposable[] {
  const { log, folders } = services;
  const { tree, view, listSettings } = context;
  const command = (id: string, handler: (...args: unknown[]) => unknown) =>
    registerCommand(id, log, handler as (...args: never[]) => unknown);
  /** The experiment of a node (and its folder), else one the user picks. */
  const experimentOf = async (node: unknown): Promise<{ folder: FolderService; experiment: string } | undefined> => {
    const named = CommandArgs.experiment([node]);
    const root = (node as { root?: unknown } | undefined)?.root;
    const given = typeof root === 'string' ? folders.all().find((f) => f.root === root) : undefined;
    if (named && given) return { folder: given, experiment: named };
    const folder = await folders.pick('Experiment', (f) => f.hasRuns());
    if (!folder) return undefined;
    const names = listExperiments(await folder.store()).map((e) => e.name);
    const experiment =
      names.length === 1 ? names[0] : await vscode.window.showQuickPick(names, { title: 'Experiment' });
    return experiment ? { folder, experiment } : undefined;
  };

  return [
    command('trackside.refreshRuns', () => tree.refresh()),
    command('trackside.loadMoreRuns', (node) => {
      const more = node as ExperimentsNode | undefined;
      if (more?.kind === 'more') tree.showMore(more.root, more.experiment);
    }),
    command('trackside.filterRuns', () => filterRuns(listSettings, tree, view)),
    command('trackside.clearFilter', async () => {
      await listSettings.setFilter({ text: '', statuses: [] });
      view.description = undefined;
      tree.refresh();
    }),
    command('trackside.sortRuns', async (node) => {
      const target = await experimentOf(node);
      if (target) await sortRuns(target.folder, target.experiment, listSettings, tree);
    }),
    command('trackside.setPrimaryMetric', async (node) => {
      const target = await experimentOf(node);
      if (target) await setPrimaryMetric(target.folder, target.experiment, listSettings, tree);
    }),
    command('trackside.focusRun', async (...args) => {
      const runId = CommandArgs.runId(args);
      if (!runId) return;
      const node = tree.runNode(runId);
      if (node) await view.reveal(node, { select: true, focus: true });
      await vscode.commands.executeCommand('trackside.openRun', runId);
    }),
  ];
}

async function filterRuns(
  settings: RunListSettings,
  tree: ExperimentsTreeProvider,
  view: vscode.TreeView<ExperimentsNode>,
): Promise<void> {
  const current = settings.filter;
  const text = await vscode.window.showInputBox({
    title: 'Filter Runs (1/2): text',
    prompt: 'Part of a run name, id or script; leave empty for any. Use tag:key or tag:key=value to filter by tag.',
    value: [
      current.text,
      current.tag ? `tag:${current.tag.key}${current.tag.value !== undefined ? `=${current.tag.value}` : ''}` : '',
    ]
      .filter(Boolean)
      .join(' '),
  });
  if (text === undefined) return;
  const statuses = RunStatusValue.options;
  const picked = await vscode.window.showQuickPick(
    statuses.map((s) => ({ label: s, picked: current.statuses.includes(s) })),
    { title: 'Filter Runs (2/2): status', canPickMany: true, placeHolder: 'Pick none for any status' },
  );
  if (!picked) return;
  const tagMatch = /(?:^|\s)tag:([^=\s]+)(?:=(\S*))?/.exec(text);
  await settings.setFilter({
    text: text.replace(/(?:^|\s)tag:\S+/, '').trim(),
    statuses: picked.map((p) => p.label),
    tag: tagMatch ? { key: tagMatch[1]!, ...(tagMatch[2] !== undefined ? { value: tagMatch[2] } : {}) } : undefined,
  });
  view.description = settings.describeFilter() || undefined;
  tree.refresh();
}

async function sortRuns(
  folder: FolderService,
  experiment: string,
  settings: RunListSettings,
  tree: ExperimentsTreeProvider,
): Promise<void> {
  const keys = metricKeysOfExperiment(await folder.store(), experiment).filter((k) => !isSystemMetric(k));
  const items = [
    { label: '$(history) Newest first', key: undefined, direction: 'desc' as const },
    ...keys.flatMap((key) => {
      const best = metricDirection(key) === 'min' ? ('asc' as const) : ('desc' as const);
      const worst = best === 'asc' ? ('desc' as const) : ('asc' as const);
      return [
        {
          label: `${key}, best first`,
          description: best === 'asc' ? 'lowest first' : 'highest first',
          key,
          direction: best,
        },
        {
          label: `${key}, worst first`,
          description: worst === 'asc' ? 'lowest first' : 'highest first',
          key,
          direction: worst,
        },
      ];
    }),
  ];
  const pick = await vscode.window.showQuickPick(items, { title: `Sort runs of ${experiment}` });
  if (!pick) return;
  await settings.setSort(experiment, pick.key ? { key: pick.key, direction: pick.direction } : undefined);
  tree.refresh();
}

async function setPrimaryMetric(
  folder: FolderService,
  experiment: string,
  settings: RunListSettings,
  tree: ExperimentsTreeProvider,
): Promise<void> {
  const keys = metricKeysOfExperiment(await folder.store(), experiment).filter((k) => !isSystemMetric(k));
  if (keys.length === 0) {
    throw new RefusedError('no-runs', `The runs of ${experiment} have logged no metrics yet.`);
  }
  const key = await vscode.window.showQuickPick(keys, {
    title: `Primary metric of ${experiment}`,
    placeHolder: 'Shown beside each run and used to find the best run',
  });
  if (!key) return;
  await settings.setPrimaryMetric(experiment, key);
  tree.refresh();
}
