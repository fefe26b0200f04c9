import * as vscode from 'vscode';
import { syncJournals } from '../../core/models/journal-sync';
import { ModelRegistry } from '../../core/models/model-registry';
import { listModels, type ModelVersionRow } from '../../core/models/queries';
import type { RegistrySetting } from '../../core/registry/endpoint';
import { registerCommand } from '../command-registry';
import { requireWorkspace, type IndexDeps } from '../lineage/deps';
import { addRegistry } from './add-registry';
import { openRegistrySettings, readConfiguredRegistries } from './configured-registries';
import { RegistryCredentialSession } from './credential-session';
import { InputBoxCredentialsPrompt } from './credentials-prompt';
import { askPushPlan, copyReference, runPush } from './push-command';
import type { SecretStore } from './secret-credentials';
import { RefusedError } from '../refusal';

export const RegistryCommands = {
  addRegistry: 'trackside.addRegistry',
  pushModelVersion: 'trackside.pushModelVersion',
  copyPushReference: 'trackside.copyPushReference',
} as const;

export interface RegistryFeatureDeps extends IndexDeps {
  /** The extension's SecretStorage: the only place registry credentials are kept. */
  secrets(): SecretStore;
}

/**
 * Registries and pushes in the editor: "Add Registry…", "Push…" on a model version, and "Copy
 * Reference" on a push shown under its version in the Models view.
 */
export function registerRegistryFeature(deps: RegistryFeatureDeps): vscode.Disposable {
  const prompt = new InputBoxCredentialsPrompt();
  const credentials = () => new RegistryCredentialSession(deps.secrets(), prompt, deps.log);
  const addDeps = { workspaceRoot: () => deps.workspaceRoot(), credentials, log: deps.log };

  const disposables = [
    registerCommand(RegistryCommands.addRegistry, deps.log, async () => {
      await addRegistry(addDeps);
    }),
    registerCommand(RegistryCommands.pushModelVersion, deps.log, async (...args: unknown[]) => {
      const workspaceRoot = requireWorkspace(deps);
      const row = await versionRow(deps, args);
      if (!row) return;
      const registry = await pickRegistry(addDeps);
      if (!registry) return;
      const plan = await askPushPlan(row, registry);
      if (!plan) return;
      await runPush(
        {
          workspaceRoot,
          log: deps.log,
          credentials,
          modelRegistry: async () => new ModelRegistry(workspaceRoot, await deps.index()),
          afterPush: () => void vscode.commands.executeCommand('trackside.refreshModels'),
        },
        plan,
      );
    }),
    registerCommand(RegistryCommands.copyPushReference, deps.log, async (...args: unknown[]) => {
      const reference = referenceFromArguments(args);
      if (reference) await copyReference(reference);
    }),
  ];
  return { dispose: () => disposables.forEach((d) => d.dispose()) };
}

/** The version the command was invoked on (a Models view node or `{name, version}`), else one the user picks. */
async function versionRow(deps: IndexDeps, args: readonly unknown[]): Promise<ModelVersionRow | undefined> {
  const root = requireWorkspace(deps);
  const store = await deps.index();
  syncJournals(store, root);
  const versions = listModels(store).flatMap((m) => m.versions);
  const wanted = versionFromArguments(args);
  if (wanted) {
    const row = versions.find((v) => v.name === wanted.name && v.version === wanted.version);
    if (!row) throw new RefusedError('no-models', `${wanted.name} v${wanted.version} is not registered.`);
    return row;
  }
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
    { title: 'Push', placeHolder: 'Select the model version to push' },
  );
  return pick?.row;
}

/** A configured registry, or a new one added on the spot. */
async function pickRegistry(addDeps: Parameters<typeof addRegistry>[0]): Promise<RegistrySetting | undefined> {
  const { registries, problems } = readConfiguredRegistries();
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

function versionFromArguments(args: readonly unknown[]): { name: string; version: number } | undefined {
  for (const value of args) {
    if (value && typeof value === 'object' && 'name' in value && 'version' in value) {
      const { name, version } = value as { name: unknown; version: unknown };
      if (typeof name === 'string' && typeof version === 'number') return { name, version };
    }
  }
  return undefined;
}

function referenceFromArguments(args: readonly unknown[]): string | undefined {
  for (const value of args) {
    if (typeof value === 'string' && value.includes('@sha256:')) return value;
    if (value && typeof value === 'object' && 'push' in value) {
      const push = (value as { push: unknown }).push;
      if (push && typeof push === 'object' && 'reference' in push && typeof push.reference === 'string') {
        return push.reference;
      }
    }
  }
  return undefined;
}
