import * as vscode from 'vscode';
import { ALIAS_PATTERN, AUDIT_JOURNAL, MODEL_NAME_PATTERN, MODELS_JOURNAL } from '../../core/models/journal';
import { syncJournals } from '../../core/models/journal-sync';
import { ModelRegistry } from '../../core/models/model-registry';
import { listModels, type ModelSummary, type ModelVersionRow } from '../../core/models/queries';
import { TRACKSIDE_DIR } from '../../core/runs/protocol';
import type { IndexStore } from '../../core/store/database';
import { registerCommand } from '../command-registry';
import { requireWorkspace, type IndexDeps, type ModelsFacade } from '../lineage/deps';
import { pickRun, runIdFromArguments } from '../lineage/run-pick';
import { listPushes } from '../registry/push-records';
import { ModelsTreeProvider } from './tree';
import { RefusedError } from '../refusal';

export const MODELS_VIEW_ID = 'trackside.models';

export const ModelsCommands = {
  registerModel: 'trackside.registerModel',
  setAlias: 'trackside.setModelAlias',
  removeAlias: 'trackside.removeModelAlias',
  refresh: 'trackside.refreshModels',
} as const;

export interface ModelsFeature extends ModelsFacade, vscode.Disposable {}

const SUGGESTED_ALIASES = ['champion', 'challenger', 'staging', 'production'];

interface OutputArtifact {
  path: string;
  kind: string;
  name: string | null;
  sha256: string | null;
}

function outputArtifacts(store: IndexStore, runId: string): OutputArtifact[] {
  return store
    .query(
      `SELECT a.path, a.kind, a.name, a.sha256 FROM artifacts a JOIN runs r ON r.pk = a.run_pk
       WHERE r.id = ? AND a.role = 'output' ORDER BY a.kind = 'model' DESC, a.path`,
    )
    .all(runId) as OutputArtifact[];
}

function runsWithModels(store: IndexStore): Set<string> {
  const ids = store
    .query(
      `SELECT DISTINCT r.id FROM artifacts a JOIN runs r ON r.pk = a.run_pk WHERE a.role = 'output' AND a.kind = 'model'`,
    )
    .pluck()
    .all() as string[];
  return new Set(ids);
}

/**
 * The Models view and its commands: "Register Model" (a run's model artifact → a name and the next
 * version), "Set Alias…" and "Remove Alias". Changes made by another window or the CLI reach the
 * view through a watcher on the journals.
 */
export function registerModelsFeature(deps: IndexDeps): ModelsFeature {
  const changed = new vscode.EventEmitter<void>();
  const load = async (): Promise<ModelSummary[]> => {
    const root = deps.workspaceRoot();
    if (!root) return [];
    const store = await deps.index();
    syncJournals(store, root);
    return listModels(store);
  };
  const loadPushes = async () => (deps.workspaceRoot() ? listPushes(await deps.index()) : new Map());
  const tree = new ModelsTreeProvider(load, loadPushes);
  const view = vscode.window.createTreeView(MODELS_VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  const registry = async (): Promise<ModelRegistry> => new ModelRegistry(requireWorkspace(deps), await deps.index());
  const afterChange = (): void => {
    tree.refresh();
    changed.fire();
  };

  const revealVersion = async (name: string, version: number): Promise<void> => {
    await vscode.commands.executeCommand(`${MODELS_VIEW_ID}.focus`);
    await tree.reload();
    const node = tree.versionNode(name, version);
    if (node) await view.reveal(node, { select: true, focus: true, expand: true });
  };

  const disposables: vscode.Disposable[] = [changed, tree, view];
  const root = deps.workspaceRoot();
  if (root) {
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(root, `${TRACKSIDE_DIR}/{${MODELS_JOURNAL},${AUDIT_JOURNAL}}`),
    );
    disposables.push(watcher, watcher.onDidChange(afterChange), watcher.onDidCreate(afterChange));
  }
  disposables.push(
    { dispose: deps.onIndexChanged(() => tree.refresh()) },
    registerCommand(ModelsCommands.refresh, deps.log, () => afterChange()),
    registerCommand(ModelsCommands.registerModel, deps.log, async (...args: unknown[]) => {
      const registered = await registerModel(deps, await registry(), args);
      if (!registered) return;
      afterChange();
      const choice = await vscode.window.showInformationMessage(
        registered.created
          ? `Registered ${registered.name} v${registered.version}.`
          : `This artifact is already ${registered.name} v${registered.version}.`,
        'Show Lineage',
        'Set Alias…',
      );
      if (choice === 'Show Lineage') await vscode.commands.executeCommand('trackside.showLineage', registered);
      if (choice === 'Set Alias…') await vscode.commands.executeCommand(ModelsCommands.setAlias, registered);
    }),
    registerCommand(ModelsCommands.setAlias, deps.log, async (...args: unknown[]) => {
      const target = versionFromArguments(args) ?? (await pickVersion(await load(), 'Set Alias'));
      if (!target) return;
      const models = await load();
      const alias = await askAlias(
        models.find((m) => m.name === target.name),
        target.version,
      );
      if (!alias) return;
      const { previous } = await (await registry()).setAlias(target.name, alias, target.version);
      afterChange();
      void vscode.window.showInformationMessage(
        previous === null || previous === target.version
          ? `${target.name}@${alias} now points at v${target.version}.`
          : `${target.name}@${alias} moved from v${previous} to v${target.version}.`,
      );
    }),
    registerCommand(ModelsCommands.removeAlias, deps.log, async (...args: unknown[]) => {
      const models = await load();
      const target = versionFromArguments(args);
      const candidates = models
        .filter((m) => !target || m.name === target.name)
        .flatMap((m) => m.versions)
        .filter((v) => !target || v.version === target.version)
        .flatMap((v) => v.aliases.map((alias) => ({ name: v.name, alias, version: v.version })));
      if (candidates.length === 0) {
        throw new RefusedError(
          'no-models',
          target ? `${target.name} v${target.version} has no alias.` : 'No model has an alias.',
        );
      }
      const pick =
        candidates.length === 1
          ? candidates[0]
          : await vscode.window.showQuickPick(
              candidates.map((c) => ({ ...c, label: c.alias, description: `${c.name} v${c.version}` })),
              { title: 'Remove Alias', placeHolder: 'Select the alias to remove' },
            );
      if (!pick) return;
      await (await registry()).removeAlias(pick.name, pick.alias);
      afterChange();
      void vscode.window.showInformationMessage(`Removed ${pick.name}@${pick.alias} (was v${pick.version}).`);
    }),
  );
  return {
    revealVersion,
    onDidChangeModels: changed.event,
    dispose: () => {
      for (const d of disposables.splice(0).reverse()) d.dispose();
    },
  };
}

function versionFromArguments(args: readonly unknown[]): { name: string; version: number } | undefined {
  for (const value of args) {
    if (value && typeof value === 'object' && 'name' in value && 'version' in value) {
      const { name, version } = value as { name: unknown; version: unknown };
      if (typeof name === 'string' && typeof version === 'number') return { name, version };
    }
  }
  return undefined;
}

async function registerModel(deps: IndexDeps, registry: ModelRegistry, args: readonly unknown[]) {
  const store = await deps.index();
  const runId =
    runIdFromArguments(args) ??
    (await pickRun(deps, 'Register Model: pick the run that trained it', (runs) => {
      const withModels = runsWithModels(store);
      return runs.filter((r) => withModels.has(r.id));
    }));
  if (!runId) return undefined;
  const artifacts = outputArtifacts(store, runId);
  if (artifacts.length === 0) {
    throw new RefusedError(
      'no-models',
      'This run logged no output artifact: log the model with ts.log_model("model.pt") in the training script.',
    );
  }
  const models = artifacts.filter((a) => a.kind === 'model');
  const artifact =
    models.length === 1
      ? models[0]
      : (
          await vscode.window.showQuickPick(
            artifacts.map((a) => ({
              artifact: a,
              label: a.path,
              description: [a.kind, a.name, a.sha256?.slice(0, 12)].filter(Boolean).join(' · '),
            })),
            { title: 'Register Model: pick the artifact', placeHolder: 'Which output is the model?' },
          )
        )?.artifact;
  if (!artifact) return undefined;
  const suggested = suggestedName(artifact);
  const name = await vscode.window.showInputBox({
    title: 'Register Model',
    prompt: `Model name for ${artifact.path} — an existing name gets a new version`,
    value: suggested,
    validateInput: (value) =>
      MODEL_NAME_PATTERN.test(value.trim()) ? undefined : 'Letters, digits, dots, dashes and underscores (up to 128)',
  });
  if (name === undefined) return undefined;
  return registry.register({ runId, artifactPath: artifact.path, name: name.trim() });
}

function suggestedName(artifact: OutputArtifact): string {
  if (artifact.name && MODEL_NAME_PATTERN.test(artifact.name)) return artifact.name;
  const file = artifact.path.split('/').at(-1) ?? 'model';
  return file.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9._-]+/g, '-') || 'model';
}

async function pickVersion(models: ModelSummary[], title: string): Promise<ModelVersionRow | undefined> {
  const versions = models.flatMap((m) => m.versions);
  if (versions.length === 0) {
    throw new RefusedError('no-models', 'No model is registered yet: use "Trackside: Register Model" on a run first.');
  }
  const pick = await vscode.window.showQuickPick(
    versions.map((v) => ({
      row: v,
      label: `${v.name} v${v.version}`,
      description: v.aliases.join(' · '),
      detail: `${v.runName ?? v.runId} · ${v.artifactPath}`,
    })),
    { title, placeHolder: 'Select a model version' },
  );
  return pick?.row;
}

/** A quick pick of known and usual aliases that also accepts a new one typed in. */
function askAlias(model: ModelSummary | undefined, version: number): Promise<string | undefined> {
  const current = new Map<string, number>();
  for (const v of model?.versions ?? []) for (const a of v.aliases) current.set(a, v.version);
  const names = [...new Set([...current.keys(), ...SUGGESTED_ALIASES])];
  const quickPick = vscode.window.createQuickPick();
  quickPick.title = `Set Alias on ${model?.name ?? 'model'} v${version}`;
  quickPick.placeholder = 'Pick an alias or type a new one';
  const baseItems = names.map((alias) => ({
    label: alias,
    description: current.has(alias) ? `now on v${current.get(alias)}` : undefined,
  }));
  quickPick.items = baseItems;
  quickPick.onDidChangeValue((value) => {
    const typed = value.trim();
    quickPick.items =
      typed && !names.includes(typed) ? [{ label: typed, description: 'new alias' }, ...baseItems] : baseItems;
  });
  return new Promise((resolve) => {
    quickPick.onDidAccept(() => {
      const alias = (quickPick.selectedItems[0]?.label ?? quickPick.value).trim();
      if (!ALIAS_PATTERN.test(alias)) {
        quickPick.title = `"${alias}" is not an alias: use letters, digits, dots, dashes, underscores (not a bare number)`;
        return;
      }
      resolve(alias);
      quickPick.hide();
    });
    quickPick.onDidHide(() => {
      resolve(undefined);
      quickPick.dispose();
    });
    quickPick.show();
  });
}
