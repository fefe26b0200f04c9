import * as vscode from 'vscode';
import type { RegistrySetting } from '../../core/registry/endpoint';
import {
  REGISTRIES_SETTING,
  REGISTRIES_SETTING_KEY,
  parseRegistrySettings,
  withRegistry,
  type RegistrySettings,
} from './registry-settings';

/** `trackside.registries` as the editor's configuration holds it (user, workspace and folder merged). */
export function readConfiguredRegistries(): RegistrySettings {
  return parseRegistrySettings(vscode.workspace.getConfiguration('trackside').get<unknown>(REGISTRIES_SETTING));
}

/** Writes the entry to the user's settings (a registry is the user's, like their credentials for it). */
export async function saveRegistry(setting: RegistrySetting): Promise<void> {
  const config = vscode.workspace.getConfiguration('trackside');
  await config.update(
    REGISTRIES_SETTING,
    withRegistry(config.inspect(REGISTRIES_SETTING)?.globalValue, setting),
    vscode.ConfigurationTarget.Global,
  );
}

export async function openRegistrySettings(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.openSettings', REGISTRIES_SETTING_KEY);
}
