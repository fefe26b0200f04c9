import * as vscode from 'vscode';
import type { RegistrySetting } from '../../core/registry/endpoint';
import { REGISTRIES_SETTING, REGISTRIES_SETTING_KEY, withRegistry } from './registry-settings';

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
