import * as vscode from 'vscode';
import { ALIAS_PATTERN, MODEL_NAME_PATTERN } from '../../core/models/journal';
import {
  listModels,
  outputArtifacts,
  runsWithModels,
  type ModelSummary,
  type OutputArtifact,
} from '../../core/store/models';
import { CommandArgs } from '../command-args';
import { registerCommand } from '../command-registry';
import { RefusedError } from '../refusal';
import { runFromArgumentsOrPick } from '../runs/run-picker';
import type { Services } from '../services';
import type { FolderService } from '../workspace/folder-service';
import { ModelsTreeProvider } from './tree';
import { pickVersion } from './version-pick';

export const MODELS_VIEW_ID = 'trackside.models';

export const ModelsCommands = {
  registerModel: 'trackside.registerModel',
  setAlias: 'trackside.setModelAlias',
  removeAlias: 'trackside.removeModelAlias',
  refresh: 'trackside.refreshModels',
} as const;

/** What the Models view offers the lineage panel. */
export interface ModelsFacade {
  /** Reveals and selects a version in the Models view. */
  revealVersion(folder: FolderService, name: string, version: number): Promise<void>;
}

export interface ModelsFeature extends ModelsFacade, vscode.Disposable {}

const SUGGESTED_ALIASES = ['champion', 'challenger', 'staging', 'production'];

/**
 * The Models view and its commands: "Register Model" (a run's model artifact → a name and the next
 * version), "Set Alias…" and "Remove Alias". Changes made by another window or the CLI reach the
 * view through the folders' change feed.
 */
export function registerModelsFeature(services: Services): ModelsFeature {
  const { folders, log } = services;
  const tree = new ModelsTreeProvider(folders);
  const view = vscode.window.createTreeView(MODELS_VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  /** The folder a Models view node belongs to, else one the user picks. */
  const folderOf = async (args: readonly unknown[], title: string): Promise<FolderService | undefined> => {
    const root = CommandArgs.folderRoot(args);
    const given = root ? folders.all().find((f) => f.root === root) : undefined;
    return given ?? folders.pick(title, (f) => f.hasRuns());
  };
  const load = async (folder: FolderService): Promise<ModelSummary[]> => listModels(await folder.store());

  const revealVersion = async (folder: FolderService, name: string, version: number): Promise<void> => {
    await vscode.commands.executeCommand(`${MODELS_VIEW_ID}.focus`);
    await tree.reload(folder);
    const node = tree.versionNode(folder.root, name, version);
    if (node) await view.reveal(node, { select: true, focus: true, expand: true });
  };

  const disposables: vscode.Disposable[] = [
    tree,
    view,
    folders.onDidChangeModels(() => tree.refresh()),
    // A version's source run may have been renamed or deleted since.
    folders.onDidChangeRuns(() => tree.refresh()),
    folders.onDidChangeFolders(() => tree.refresh()),
    registerCommand(ModelsCommands.refresh, log, () => tree.refresh()),
    registerCommand(ModelsCommands.registerModel, log, async (...args: unknown[]) => {
      const registered = await registerModel(services, args);
      if (!registered) return;
      const choice = await vscode.window.showInformationMessage(
        registered.created
          ? `Registered ${registered.name} v${registered.version}.`
          : `This artifact is already ${registered.name} v${registered.version}.`,
        'Show Lineage',
        'Set Alias…',
      );
      const node = { root: registered.root, name: registered.name, version: registered.version };
      if (choice === 'Show Lineage') await vscode.commands.executeCommand('trackside.showLineage', node);
      if (choice === 'Set Alias…') await vscode.commands.executeCommand(ModelsCommands.setAlias, node);
    }),
    registerCommand(ModelsCommands.setAlias, log, async (...args: unknown[]) => {
      const folder = await folderOf(args, 'Set Alias');
      if (!folder) return;
      const models = await load(folder);
      const target = CommandArgs.modelVersion(args) ?? (await pickVersion(models, 'Set Alias'));
      if (!target) return;
      const alias = await askAlias(
        models.find((m) => m.name === target.name),
        target.version,
      );
      if (!alias) return;
      const { previous } = await (await folder.modelRegistry()).setAlias(target.name, alias, target.version);
      void vscode.window.showInformationMessage(
        previous === null || previous === target.version
          ? `${target.name}@${alias} now points at v${target.version}.`
          : `${target.name}@${alias} moved from v${previous} to v${target.version}.`,
      );
    }),
    registerCommand(ModelsCommands.removeAlias, log, async (...args: unknown[]) => {
      const folder = await folderOf(args, 'Remove Alias');
      if (!folder) return;
      const target = CommandArgs.modelVersion(args);
      const candidates = (await load(folder))
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
      await (await folder.modelRegistry()).removeAlias(pick.name, pick.alias);
      void vscode.window.showInformationMessage(`Removed ${pick.name}@${pick.alias} (was v${pick.version}).`);
    }),
  ];
  return {
    revealVersion,
    dispose: () => {
      for (const d of disposables.splice(0).reverse()) d.dispose();
    },
  };
}

async function registerModel(services: Services, args: readonly unknown[]) {
  const target = await runFromArgumentsOrPick(services, CommandArgs.runId(args), {
    title: 'Register Model: pick the run that trained it',
    placeholder: 'Runs that logged a model',
    filter: (runs, store) => {
      const withModels = runsWithModels(store);
      return runs.filter((r) => withModels.has(r.id));
    },
  });
  if (!target) return undefined;
  const { folder, runId } = target;
  const store = await folder.store();
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
  const registry = await folder.modelRegistry();
  const registered = await registry.register({ runId, artifactPath: artifact.path, name: name.trim() });
  return { ...registered, root: folder.root };
}

function suggestedName(artifact: OutputArtifact): string {
  if (artifact.name && MODEL_NAME_PATTERN.test(artifact.name)) return artifact.name;
  const file = artifact.path.split('/').at(-1) ?? 'model';
  return file.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9._-]+/g, '-') || 'model';
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
