import * as vscode from 'vscode';

/**
 * Registers a command whose failures are reported once, here: a typed error with a user-facing
 * message becomes one notification; anything else is logged with its stack and summarised.
 */
export function registerCommand(
  id: string,
  log: vscode.LogOutputChannel,
  handler: (...args: never[]) => unknown,
  isExpected: (error: unknown) => error is Error = (_e): _e is Error => false,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: never[]) => {
    try {
      await handler(...args);
    } catch (error) {
      if (isExpected(error)) {
        void vscode.window.showWarningMessage(error.message);
        return;
      }
      log.error(`Command ${id} failed`, error);
      const choice = await vscode.window.showErrorMessage(
        `Trackside: ${error instanceof Error ? error.message : String(error)}`,
        'Show Log',
      );
      if (choice === 'Show Log') log.show();
    }
  });
}
