import type * as vscode from 'vscode';
import type { Settings } from './settings';
import type { Folders } from './workspace/folders';

/**
 * What every feature receives from the composition root (src/extension/extension.ts): one of each,
 * built once. A feature adds what only it needs as further parameters.
 */
export interface Services {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  folders: Folders;
  settings: Settings;
  /** The extension's SecretStorage: the only place registry credentials are kept. */
  secrets: vscode.SecretStorage;
}
