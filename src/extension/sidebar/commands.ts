import * as vscode from 'vscode';
import { materializeRunChanges } from '../../core/git/run-code';
import { metricDirection } from '../../core/metrics/direction';
import { join } from 'node:path';
import { RunFile, RunStatusValue } from '../../core/runs/protocol';
import { getRunDetail } from '../../core/store/queries-detail';
import { queryRuns, summariesForRuns } from '../../core/store/queries-runs';
import { registerCommand } from '../command-registry';
import type { IndexService } from '../index/index-service';
import { type RunCommands } from '../runs/commands';
import type { RunListSettings } from './list-settings';
import { RunActions } from './run-actions';
import type { ExperimentsNode, ExperimentsTreeProvider } from './tree';
import { RefusedError } from '../refusal';
import { requireTrust } from '../trust';

export interface SidebarDeps {
  index: IndexService;
  tree: ExperimentsTreeProvider;
  view: vscode.TreeView<ExperimentsNode>;
  settings: RunListSettings;
  runs: RunCommands;
  log: vscode.LogOutputChannel;
  /** Stops a run that is not a local process (a Slurm job); false for a local run. */
  stopElsewhere?: (runId: string) => Promise<boolean>;
}

type RunNode = ExperimentsNode & { kind: 'run' };

/**
 * The runs an action applies to: the clicked row plus the rest of the multi-selection, or run ids
 * passed by another command (a notification, a CodeLens, the compare panel).
 */
function targetRuns(view: vscode.TreeView<ExperimentsNode>, args: unknown[]): string[] {
  const ids = new Set<string>();
  const visit = (value: unknown) => {
    if (typeof value === 'string') ids.add(value);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object' && (value as RunNode).kind === 'run')
      ids.add((value as RunNode).run.id);
  };
  args.forEach(visit);
  if (ids.size === 0) view.selection.forEach(visit);
  if (ids.size === 0) throw new RefusedError('no-selection', 'Select a run in the Experiments view first.');
  return [...ids];
}

export function registerSidebarCommands(deps: SidebarDeps): vscode.Disposable[] {
  const { index, tree, view, settings, log } = deps;
  const actions = new RunActions(index, deps.stopElsewhere);
  const one = (args: unknown[]) => targetRuns(view, args)[0]!;
  const nameOf = async (runId: string) => getRunDetail(await index.store(), runId)?.name ?? runId;
  const command = (id: string, handler: (...args: unknown[]) => unknown) =>
    registerCommand(id, log, handler as (...args: never[]) => unknown);

  return [
    command('trackside.refreshRuns', () => tree.refresh()),
    command('trackside.loadMoreRuns', (experiment) => tree.showMore(String(experiment))),
    command('trackside.showOutput', (...args) => actions.showOutput(one(args))),
    command('trackside.stopRun', (...args) => stopAll(actions, targetRuns(view, args), false)),
    command('trackside.forceStopRun', (...args) => stopAll(actions, targetRuns(view, args), true)),
    command('trackside.rerun', (...args) => deps.runs.rerun(one(args), false)),
    command('trackside.rerunWithParams', (...args) => deps.runs.rerun(one(args), true)),
    command('trackside.renameRun', async (...args) => {
      const id = one(args);
      await actions.rename(id, await nameOf(id));
    }),
    command('trackside.tagRun', (...args) => actions.tag(one(args))),
    command('trackside.addNote', (...args) => actions.addNote(one(args))),
    command('trackside.copyRunId', async (...args) => {
      const ids = targetRuns(view, args);
      await vscode.env.clipboard.writeText(ids.join('\n'));
      vscode.window.setStatusBarMessage(`Copied ${ids.length === 1 ? ids[0] : `${ids.length} run ids`}`, 3000);
    }),
    command('trackside.deleteRun', async (...args) => {
      const ids = targetRuns(view, args);
      const names = await Promise.all(ids.map(nameOf));
      if (await actions.delete(ids, names)) tree.refresh();
    }),
    command('trackside.showCodeDiff', (...args) => showCodeDiff(index, actions, one(args))),
    command('trackside.filterRuns', () => filterRuns(settings, tree, view)),
    command('trackside.clearFilter', async () => {
      await settings.setFilter({ text: '', statuses: [] });
      view.description = undefined;
      tree.refresh();
    }),
    command('trackside.sortRuns', (node) => sortRuns(index, settings, tree, node)),
    command('trackside.setPrimaryMetric', (node) => setPrimaryMetric(index, settings, tree, node)),
    command('trackside.focusRun', async (runId) => {
      const node = tree.runNode(String(runId));
      if (node) await view.reveal(node, { select: true, focus: true });
      await vscode.commands.executeCommand('trackside.openRun', String(runId));
    }),
    command('trackside.compareWithBest', async (...args) => {
      const id = one(args);
      const best = await bestRunLike(index, settings, id);
      await vscode.commands.executeCommand('trackside.compareRuns', best && best !== id ? [id, best] : [id]);
    }),
  ];
}

/**
 * Stops every selected run that is running; the others (a finished run also in the selection) are
 * left alone. Only when none could be stopped is that an error, with the first reason.
 */
async function stopAll(actions: RunActions, runIds: string[], force: boolean): Promise<void> {
  let stopped = 0;
  let firstError: unknown;
  for (const id of runIds) {
    try {
      await actions.stop(id, force);
      stopped++;
    } catch (error) {
      firstError ??= error;
    }
  }
  if (stopped === 0 && firstError) throw firstError;
}

async function showCodeDiff(index: IndexService, actions: RunActions, runId: string): Promise<void> {
  // Git runs hooks and fsmonitor commands from the repository's config: not in Restricted Mode.
  requireTrust();
  const detail = getRunDetail(await index.store(), runId);
  if (!detail) throw new RefusedError('missing-file', 'This run is not in the index any more.');
  const code = await materializeRunChanges(detail.cwd, detail.gitCommit, join(actions.runDir(runId), RunFile.patch));
  const short = code.commit.slice(0, 8);
  if (code.files.length === 0) {
    void vscode.window.showInformationMessage(
      `Run ${detail.name} had no uncommitted changes: its code is commit ${short}.`,
    );
    return;
  }
  const empty = vscode.Uri.parse('untitled:empty');
  const resources = code.files.map((f) => {
    const workspaceFile = vscode.Uri.file(join(code.repoRoot, f.path));
    return [
      workspaceFile,
      f.atCommit ? vscode.Uri.file(f.atCommit) : empty,
      f.asRun ? vscode.Uri.file(f.asRun) : empty,
    ] as const;
  });
  const title = `${detail.name}: uncommitted changes on ${short}`;
  if (resources.length === 1) {
    const [, left, right] = resources[0]!;
    await vscode.commands.executeCommand('vscode.diff', left, right, `${title} (${code.files[0]!.path})`);
    return;
  }
  await vscode.commands.executeCommand('vscode.changes', title, resources);
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

async function metricKeysOf(index: IndexService, experiment: string): Promise<string[]> {
  const store = await index.store();
  const ids = queryRuns(store, { experiment, limit: 200 }).rows.map((r) => r.id);
  return [...new Set(summariesForRuns(store, ids).map((s) => s.key))].sort();
}

async function pickExperiment(index: IndexService, node: unknown): Promise<string | undefined> {
  const n = node as ExperimentsNode | undefined;
  if (n?.kind === 'experiment') return n.name;
  if (n?.kind === 'run') return n.run.experiment;
  const { listExperiments } = await import('../../core/store/queries-runs');
  const names = listExperiments(await index.store()).map((e) => e.name);
  if (names.length === 1) return names[0];
  return vscode.window.showQuickPick(names, { title: 'Experiment' });
}

async function sortRuns(
  index: IndexService,
  settings: RunListSettings,
  tree: ExperimentsTreeProvider,
  node: unknown,
): Promise<void> {
  const experiment = await pickExperiment(index, node);
  if (!experiment) return;
  const keys = await metricKeysOf(index, experiment);
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
  index: IndexService,
  settings: RunListSettings,
  tree: ExperimentsTreeProvider,
  node: unknown,
): Promise<void> {
  const experiment = await pickExperiment(index, node);
  if (!experiment) return;
  const keys = await metricKeysOf(index, experiment);
  if (keys.length === 0)
    throw new RefusedError('no-selection', `The runs of ${experiment} have logged no metrics yet.`);
  const key = await vscode.window.showQuickPick(keys, {
    title: `Primary metric of ${experiment}`,
    placeHolder: 'Shown beside each run and used to find the best run',
  });
  if (!key) return;
  await settings.setPrimaryMetric(experiment, key);
  tree.refresh();
}

/** The best finished run of the same experiment by its primary metric (lowest for loss-like names). */
async function bestRunLike(index: IndexService, settings: RunListSettings, runId: string): Promise<string | undefined> {
  const store = await index.store();
  const run = getRunDetail(store, runId);
  if (!run) return undefined;
  const keys = await metricKeysOf(index, run.experiment);
  const { defaultPrimaryMetric } = await import('../../core/metrics/primary-metric');
  const key = settings.primaryMetric(run.experiment) ?? defaultPrimaryMetric(keys);
  if (!key) return undefined;
  const { rows } = queryRuns(store, {
    experiment: run.experiment,
    status: ['finished'],
    sort: { by: 'metric', key },
    direction: metricDirection(key) === 'min' ? 'asc' : 'desc',
    limit: 1,
  });
  return rows[0]?.id;
}
