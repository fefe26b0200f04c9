import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Settings } from '../settings';
import { pythonInterpreterFor } from './interpreter';
import { RefusedError } from '../refusal';
import { requireTrust } from '../trust';

export interface ScriptTarget {
  file: vscode.Uri;
  folder: vscode.WorkspaceFolder;
  /** The command that runs the script (the chosen Python interpreter for a .py file). */
  command: string[];
}

/**
 * The script a queue or Slurm command acts on (the given file, else the active editor's), saved
 * first, with the command that runs it — the same rules as "Run Current File".
 */
export async function scriptTarget(settings: Settings, target?: unknown): Promise<ScriptTarget> {
  requireTrust();
  const file = target instanceof vscode.Uri ? target : vscode.window.activeTextEditor?.document.uri;
  if (!file || file.scheme !== 'file') {
    throw new RefusedError('no-file', 'Open a training script (a .py file) first.');
  }
  const folder = vscode.workspace.getWorkspaceFolder(file);
  if (!folder) {
    throw new RefusedError(
      'outside-workspace',
      `${path.basename(file.fsPath)} is outside the open folders: open its folder so its runs have a place to live.`,
    );
  }
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === file.toString());
  if (document?.isDirty) await document.save();
  return { file, folder, command: await commandForScript(file, settings) };
}

/** The command line that runs a script file, by its language. */
export async function commandForScript(file: vscode.Uri, settings: Settings): Promise<string[]> {
  const extension = path.extname(file.fsPath).toLowerCase();
  if (extension === '.py') return [await pythonInterpreterFor(file, settings), file.fsPath];
  if (extension === '.js' || extension === '.mjs' || extension === '.cjs') return ['node', file.fsPath];
  throw new RefusedError(
    'unsupported-file',
    `Trackside runs Python (.py) and JavaScript (.js, .mjs) files; ${path.basename(file.fsPath)} is neither.`,
  );
}
