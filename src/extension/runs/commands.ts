import * as path from 'node:path';
import * as vscode from 'vscode';
import { pythonInterpreterFor } from './interpreter';
import { launchTrackedRun } from './launch-task';

/** Why a run could not be started; each reason carries the message shown to the user. */
export class LaunchRefusedError extends Error {
  constructor(
    readonly reason: 'untrusted' | 'no-file' | 'unsupported-file' | 'outside-workspace',
    message: string,
  ) {
    super(message);
    this.name = 'LaunchRefusedError';
  }
}

/** The command line that runs a script file, by its language. */
async function commandForScript(file: vscode.Uri): Promise<string[]> {
  const extension = path.extname(file.fsPath).toLowerCase();
  if (extension === '.py') return [await pythonInterpreterFor(file), file.fsPath];
  if (extension === '.js' || extension === '.mjs' || extension === '.cjs') return ['node', file.fsPath];
  throw new LaunchRefusedError(
    'unsupported-file',
    `Trackside runs Python (.py) and JavaScript (.js, .mjs) files; ${path.basename(file.fsPath)} is neither.`,
  );
}

export async function runCurrentFile(extensionUri: vscode.Uri, target?: vscode.Uri): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    throw new LaunchRefusedError(
      'untrusted',
      'Trackside does not start training processes in Restricted Mode. Trust this workspace to run scripts.',
    );
  }
  const file = target ?? vscode.window.activeTextEditor?.document.uri;
  if (!file || file.scheme !== 'file') {
    throw new LaunchRefusedError('no-file', 'Open a training script (a .py file) to run it with tracking.');
  }
  const workspaceFolder = vscode.workspace.getWorkspaceFolder(file);
  if (!workspaceFolder) {
    throw new LaunchRefusedError(
      'outside-workspace',
      `${path.basename(file.fsPath)} is outside the open folders: open its folder so its runs have a place to live.`,
    );
  }
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === file.toString());
  if (document?.isDirty) await document.save();
  await launchTrackedRun(extensionUri, {
    workspaceFolder,
    command: await commandForScript(file),
    label: `Run ${path.basename(file.fsPath)}`,
  });
}
