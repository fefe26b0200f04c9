import * as vscode from 'vscode';
import { sqliteDriver } from '../../core/store/drivers';
import { SqliteDriverError } from '../../core/store/errors';
import { runtimeDescription } from '../../core/store/sqlite';

/**
 * Loads the SQLite driver once, after activation, and says which one the index uses. When none loads
 * (a runtime older than Node 22.13 without the bundled Node 20 addon), one error names the runtime and
 * the way out; runs are still recorded into their folders meanwhile.
 */
export function checkSqliteRuntime(log: vscode.LogOutputChannel): void {
  try {
    const { info } = sqliteDriver();
    log.info(`Index driver: ${info.name} (SQLite ${info.sqliteVersion}) on ${runtimeDescription()}`);
  } catch (error) {
    if (!(error instanceof SqliteDriverError)) {
      log.error('SQLite check failed', error);
      return;
    }
    log.error(error.message);
    void vscode.window
      .showErrorMessage(
        `Trackside cannot open its run index in this VS Code (${error.runtime}): it needs Node 22.13 or later ` +
          '(VS Code 1.101 or later). Runs are still recorded in .trackside/runs; update VS Code to see them.',
        'Show Log',
      )
      .then((choice) => {
        if (choice === 'Show Log') log.show();
      });
  }
}
