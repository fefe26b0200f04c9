import * as vscode from 'vscode';
import type { RegistryCredentials } from '../../core/registry/credentials';
import type { CredentialsPrompt } from './secret-credentials';

/** Two input boxes: the username (prefilled with the one refused, if any), then the password or token, masked. */
export class InputBoxCredentialsPrompt implements CredentialsPrompt {
  async ask(request: {
    host: string;
    username: string | undefined;
    refused: boolean;
  }): Promise<RegistryCredentials | undefined> {
    const title = request.refused
      ? `Authentication failed for ${request.host} as ${request.username ?? 'this user'}`
      : `Sign in to ${request.host}`;
    const username = await vscode.window.showInputBox({
      title,
      prompt: `Username for ${request.host}`,
      value: request.username ?? '',
      ignoreFocusOut: true,
      validateInput: (value) => (value.trim() ? undefined : 'Enter a username'),
    });
    if (username === undefined) return undefined;
    const password = await vscode.window.showInputBox({
      title,
      prompt: `Password or access token for ${username.trim()} on ${request.host} (kept in the editor's secret storage)`,
      password: true,
      ignoreFocusOut: true,
      validateInput: (value) => (value ? undefined : 'Enter the password or token'),
    });
    if (password === undefined) return undefined;
    return { username: username.trim(), password };
  }
}
