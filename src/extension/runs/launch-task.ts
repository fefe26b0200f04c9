import * as path from 'node:path';
import * as vscode from 'vscode';

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
 * The CLI runs on the extension host's own runtime (Electron in desktop VS Code, hence
 * ELECTRON_RUN_AS_NODE).
 */
export async function launchTrackedRun(
  extensionUri: vscode.Uri,
  request: LaunchRequest,
): Promise<vscode.TaskExecution> {
  const cli = path.join(extensionUri.fsPath, 'dist', 'cli.js');
  const workspace = request.workspaceFolder.uri.fsPath;
  const args = [cli, 'run', '--workspace', workspace, ...(request.runOptions ?? []), '--', ...request.command];
  const execution = new vscode.ProcessExecution(process.execPath, args, {
    cwd: request.cwd ?? workspace,
    env: { ELECTRON_RUN_AS_NODE: '1' },
  });
  // VS Code refuses to start a task whose definition equals an active one ("already active"), so
  // each launch gets its own id: two runs of one script (say, with different params) train side by side.
  const task = new vscode.Task(
    { type: 'trackside', label: request.label, launch: `${Date.now().toString(36)}-${(launches++).toString(36)}` },
    request.workspaceFolder,
    request.label,
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
