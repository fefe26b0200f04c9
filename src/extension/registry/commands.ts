import * as vscode from 'vscode';
import type { RegistrySetting } from '../../core/registry/endpoint';
import { listModels, type ModelVersionRow } from '../../core/store/models';
import { CommandArgs } from '../command-args';
import { registerCommand } from '../command-registry';
import { pickVersion } from '../models/version-pick';
import { RefusedError } from '../refusal';
import type { Services } from '../services';
import type { Settings } from '../settings';
import type { FolderService } from '../workspace/folder-service';
import { addRegistry } from './add-registry';
import { openRegistrySettings } from './configured-registries';
import { RegistryCredentialSession } from './credential-session';
import { InputBoxCredentialsPrompt } from './credentials-prompt';
import { askPushPlan, copyReference, runPush } from './push-command';

export const RegistryCommands = {
  addRegistry: 'trackside.addRegistry',
  pushModelVersion: 'trackside.pushModelVersion',
  copyPushReference: 'trackside.copyPushReference',
} as const;

/**
 * Registries and pushes in the editor: "Add Registry…", "Push…" on a model version, and "Copy
 * Reference" on a push shown under its version in the Models view.
 */
export function registerRegistryFeature(services: Services): vscode.Disposable {
  const { folders, log, settings } = services;
  const prompt = new InputBoxCredentialsPrompt();
  const credentials = () => new RegistryCredentialSession(services.secrets, prompt, log);
  // A relative CA file in the settings is the workspace's: the active script's folder, else the first.
  const workspaceRoot = () => {
    const active = vscode.window.activeTextEditor?.document.uri;
    return (active && folders.forUri(active)?.root) ?? folders.all()[0]?.root;
  };
  const addDeps = { workspaceRoot, credentials, log, settings };

  const disposables = [
    registerCommand(RegistryCommands.addRegistry, log, async () => {
      await addRegistry(addDeps);
    }),
    registerCommand(RegistryCommands.pushModelVersion, log, async (...args: unknown[]) => {
      const target = await versionRow(services, args);
      if (!target) return;
      const registry = await pickRegistry(settings, addDeps);
      if (!registry) return;
      const plan = await askPushPlan(target.row, registry);
      if (!plan) return;
      const { folder } = target;
      await runPush(
        {
          workspaceRoot: folder.root,
          log,
          credentials,
          modelRegistry: () => folder.modelRegistry(),
        },
        plan,
      );
    }),
    registerCommand(RegistryCommands.copyPushReference, log, async (...args: unknown[]) => {
      const reference = CommandArgs.pushReference(args);
      if (reference) await copyReference(reference);
    }),
  ];
  return { dispose: () => disposables.forEach((d) => d.dispose()) };
}

/** The version the command was invoked on (a Models view node or `{name, version}`), else one the user picks. */
async function versionRow(
  services: Services,
  args: readonly unknown[],
): Promise<{ folder: FolderService; row: ModelVersionRow } | undefined> {
  const root = CommandArgs.folderRoot(args);
  const folder =
    (root ? services.folders.all().find((f) => f.root === root) : undefined) ??
    (await services.folders.pick('Push', (f) => f.hasRuns()));
  if (!folder) return undefined;
  const models = listModels(await folder.store());
  const wanted = CommandArgs.modelVersion(args);
  if (wanted) {
    const row = models.flatMap((m) => m.versions).find((v) => v.name === wanted.name && v.version === wanted.version);
    if (!row) throw new RefusedError('no-models', `${wanted.name} v${wanted.version} is not registered.`);
    return { folder, row };
  }
  const row = await pickVersion(models, 'Push', 'Select the model version to push');
  return row ? { folder, row } : undefined;
}

/** A configured registry, or a new one added on the spot. */
async function pickRegistry(
  settings: Settings,
  addDeps: Parameters<typeof addRegistry>[0],
): Promise<RegistrySetting | undefined> {
  const { registries, problems } = settings.registries;
  if (problems.length > 0) {
    void vscode.window
      .showWarningMessage(`Some entries of trackside.registries are ignored: ${problems.join('; ')}.`, 'Open Settings')
      .then((choice) => (choice === 'Open Settings' ? openRegistrySettings() : undefined));
  }
  if (registries.length === 0) return addRegistry(addDeps);
  type Item = vscode.QuickPickItem & { registry?: RegistrySetting };
  const items: Item[] = [
    ...registries.map((registry) => ({
      label: registry.name,
      description: registry.url,
      detail: registry.repositoryPrefix ? `repositories under ${registry.repositoryPrefix}/` : undefined,
      registry,
    })),
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(add) Add Registry…', description: 'name, URL, credentials; the connection is tested' },
  ];
  const pick = await vscode.window.showQuickPick(items, {
    title: 'Push to',
    placeHolder: 'Select a registry (trackside.registries)',
    ignoreFocusOut: true,
  });
  if (!pick) return undefined;
  return pick.registry ?? addRegistry(addDeps);
}
