import type BetterSqlite3 from 'better-sqlite3';
import * as vscode from 'vscode';

/** Why the SQLite addon could not be used; shown to the user with the next step. */
export class SqliteAddonError extends Error {
  constructor(
    readonly reason: 'abi-mismatch' | 'missing' | 'other',
    detail: string,
  ) {
    super(detail);
    this.name = 'SqliteAddonError';
  }
}

/**
 * Loads better-sqlite3 and opens an in-memory database. A .vsix built for another runtime (desktop
 * VS Code runs Electron, whose ABI differs from Node's) fails here with NODE_MODULE_VERSION errors.
 */
export function checkSqliteAddon(): void {
  try {
    // Loaded lazily: the index is not needed to activate, and a broken addon must not break activation.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    new Database(':memory:').close();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = (error as Error).message;
    if (code === 'ERR_DLOPEN_FAILED') throw new SqliteAddonError('abi-mismatch', message);
    if (code === 'MODULE_NOT_FOUND') throw new SqliteAddonError('missing', message);
    throw new SqliteAddonError('other', message);
  }
}

export async function reportSqliteAddonError(error: SqliteAddonError, log: vscode.LogOutputChannel): Promise<void> {
  log.error(`SQLite addon failed to load (${error.reason}): ${error.message}`);
  const why =
    error.reason === 'abi-mismatch'
      ? `its native SQLite module does not load in this runtime (Node ${process.versions.node}, modules ABI ${process.versions.modules}): it was probably built for another one`
      : error.reason === 'missing'
        ? 'its native SQLite module is missing from the installed extension'
        : 'its native SQLite module could not be loaded';
  const choice = await vscode.window.showErrorMessage(
    `Trackside cannot open its run index: ${why}. Runs are still recorded in .trackside/runs; install the Trackside package built for this VS Code (see the README, "Install into desktop VS Code").`,
    'Show Log',
  );
  if (choice === 'Show Log') log.show();
}
