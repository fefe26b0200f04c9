import * as path from 'node:path';
import * as vscode from 'vscode';
import { Settings } from '../settings';

export interface LaunchRequest {
  workspaceFolder: vscode.WorkspaceFolder;
  /** The training command, e.g. [python, train.py, --lr, 0.1]. */
  command: string[];
  label: string;
  /** Working folder of the command; the workspace folder when absent. */
  cwd?: string;
  /** Options for `trackside run` itself, e.g. ['--experiment', 'mnist']. */
  runOptions?: string[];
}

let launches = 0;

/**
 * Starts `trackside run -- <command>` as a VS Code task: output streams in a real terminal, and
 * the process belongs to the terminal, not to the extension host, so it survives a window reload.
 */
export async function launchTrackedRun(
  extensionUri: vscode.Uri,
  request: LaunchRequest,
): Promise<vscode.TaskExecution> {
  const workspace = request.workspaceFolder.uri.fsPath;
  return executeLauncherTask(extensionUri, {
    scope: request.workspaceFolder,
    label: request.label,
    args: ['run', '--workspace', workspace, ...(request.runOptions ?? []), '--', ...request.command],
    cwd: request.cwd ?? workspace,
  });
}

/**
 * Runs the bundled CLI (`dist/cli.js <args>`) as a task in a dedicated terminal. The CLI runs on the
 * extension host's own runtime (Electron in desktop VS Code, hence ELECTRON_RUN_AS_NODE).
 */
export async function executeLauncherTask(
  extensionUri: vscode.Uri,
  options: { scope: vscode.WorkspaceFolder | vscode.TaskScope; label: string; args: string[]; cwd: string },
): Promise<vscode.TaskExecution> {
  const cli = path.join(extensionUri.fsPath, 'dist', 'cli.js');
  const execution = new vscode.ProcessExecution(process.execPath, [cli, ...options.args], {
    cwd: options.cwd,
    env: { ...new Settings().launcherEnvironment(), ELECTRON_RUN_AS_NODE: '1' },
  });
  // VS Code refuses to start a task whose definition equals an active one ("already active"), and
  // compares only the properties package.json declares for the task type: `launch` is declared
  // there, so each launch is its own task and two runs of one script train side by side.
  const launch = `${Date.now().toString(36)}-${(launches++).toString(36)}`;
  const task = new vscode.Task(
    { type: 'trackside', label: options.label, launch },
    options.scope,
    options.label,
    'Trackside',
    execution,
  );
  task.presentationOptions = {
    reveal: vscode.TaskRevealKind.Always,
    panel: vscode.TaskPanelKind.Dedicated,
    clear: true,
  };
  return vscode.tasks.executeTask(task);
}
