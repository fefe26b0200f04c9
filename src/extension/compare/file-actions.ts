import { writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';

/** Save dialogs and file openings the Compare panel asks for; each returns what it did for the log. */

function defaultFolder(workspaceRoot: string | undefined): vscode.Uri | undefined {
  return workspaceRoot ? vscode.Uri.file(workspaceRoot) : undefined;
}

/** Asks where to save, then writes; resolves with the path, or undefined when the user cancelled. */
export async function saveWithDialog(
  workspaceRoot: string | undefined,
  suggestedName: string,
  filters: Record<string, string[]>,
  content: string | Uint8Array,
): Promise<string | undefined> {
  const folder = defaultFolder(workspaceRoot);
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, suggestedName) : undefined,
    filters,
    saveLabel: 'Export',
  });
  if (!target) return undefined;
  await writeFile(target.fsPath, content);
  return target.fsPath;
}

export function decodePngDataUrl(dataUrl: string): Uint8Array | null {
  const match = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/.exec(dataUrl);
  return match ? Buffer.from(match[1] as string, 'base64') : null;
}

/** An artifact path as logged: absolute, or relative to the run's working directory. */
export function artifactUri(cwd: string, path: string): vscode.Uri {
  return vscode.Uri.file(isAbsolute(path) ? path : join(cwd, path));
}

export async function openFile(uri: vscode.Uri): Promise<void> {
  await vscode.commands.executeCommand('vscode.open', uri);
}

/** Shows the file in the Explorer when it is inside the workspace, else in the system's file manager. */
export async function revealFile(uri: vscode.Uri): Promise<void> {
  if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
  else await vscode.commands.executeCommand('revealFileInOS', uri);
}
