import * as vscode from 'vscode';
import { RegistryError } from '../../core/registry/errors';
import { openRegistrySettings } from './configured-registries';
import { RegistrySettingError } from './registry-settings';

/**
 * A registry failure shown once, as one message with its next step and the action that fixes it:
 * wrong credentials → "Re-enter Credentials", a certificate or plain-HTTP refusal → "Open Settings"
 * on `trackside.registries`, a dropped connection → "Retry" (the upload resumes).
 */

export type RegistryErrorAction = 'Re-enter Credentials' | 'Open Settings' | 'Retry';

export function describeRegistryError(error: RegistryError | RegistrySettingError): {
  message: string;
  actions: RegistryErrorAction[];
} {
  if (error instanceof RegistrySettingError) return { message: error.message, actions: ['Open Settings'] };
  const message = `${capitalize(error.message)}. Next: ${error.nextStep}.`;
  switch (error.reason) {
    case 'auth-failed':
      return { message, actions: ['Re-enter Credentials'] };
    case 'tls':
    case 'plain-http-refused':
      return { message, actions: ['Open Settings'] };
    case 'network':
      return { message, actions: ['Retry'] };
    default:
      return { message, actions: [] };
  }
}

/** Shows the error; resolves with the action the user chose, "Open Settings" already carried out. */
export async function showRegistryError(
  prefix: string,
  error: RegistryError | RegistrySettingError,
): Promise<RegistryErrorAction | undefined> {
  if (error instanceof RegistryError && error.reason === 'cancelled') {
    void vscode.window.showInformationMessage(`${prefix}: cancelled. ${capitalize(error.nextStep)}.`);
    return undefined;
  }
  const { message, actions } = describeRegistryError(error);
  const choice = await vscode.window.showErrorMessage(`${prefix}: ${message}`, ...actions);
  if (choice === 'Open Settings') await openRegistrySettings();
  return choice;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
