import * as vscode from 'vscode';
import { isUserError } from '../core/user-error';

/**
 * Registers a command whose failures are reported once, here: a {@link UserError} (a refusal, a
 * bad input, a registry or cluster that said no) is one calm warning with its next step; anything
 * else is a bug, logged with its stack and summarised with a way to the log.
 */
export function registerCommand(
  id: string,
  log: vscode.LogOutputChannel,
  handler: (...args: never[]) => unknown,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: never[]) => {
    try {
      await handler(...args);
    } catch (error) {
      if (isUserError(error)) {
        log.info(`${id}: ${error.message}`);
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
