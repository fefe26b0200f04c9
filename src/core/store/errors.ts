import { UserError } from '../user-error';
/** The SQLite index cannot be opened or used. */
export class IndexError extends UserError {
  constructor(
    readonly path: string,
    readonly reason: 'newer-schema' | 'unopenable' | 'no-workspace' | 'locked',
    detail: string,
  ) {
    super(detail);
    this.name = 'IndexError';
  }
}

/**
 * No SQLite library loads in this runtime: neither `node:sqlite` (Node ≥ 22.13, Electron ≥ 35) nor
 * the bundled better-sqlite3 addon (built for Node 20). Run folders are still written; only the index
 * (and so the views and `trackside ls`) is unavailable.
 */
export class SqliteDriverError extends UserError {
  constructor(
    readonly runtime: string,
    readonly failures: readonly string[],
  ) {
    super(
      `no SQLite driver loads in ${runtime}: node:sqlite needs Node 22.13 or later (VS Code 1.101 or later), ` +
        `and the bundled better-sqlite3 addon is built for Node 20 (${failures.join('; ')}). ` +
        'Runs are still recorded in .trackside/runs; update VS Code (or run the CLI with Node 22.13 or later) to see them.',
    );
    this.name = 'SqliteDriverError';
  }
}
