import type BetterSqlite3 from 'better-sqlite3';
import type { RowShape, RunResult, SqlArg, SqliteConnection, SqliteDriver, SqlStatement } from './sqlite';

/**
 * Loads better-sqlite3, the driver for runtimes without `node:sqlite` (Node 20). Its native addon is
 * built for one runtime; in another (Electron, Node 22 or 24) loading it throws, and the error says so.
 */
export function loadBetterSqlite3(): SqliteDriver {
  // Loaded on demand: on runtimes with node:sqlite the addon is never touched.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as typeof BetterSqlite3;
  return {
    name: 'better-sqlite3',
    open(path, timeoutMs) {
      return new BetterSqliteConnection(new Database(path, { timeout: timeoutMs }));
    },
  };
}

class BetterSqliteConnection implements SqliteConnection {
  constructor(private readonly db: BetterSqlite3.Database) {}

  get isOpen(): boolean {
    return this.db.open;
  }

  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  prepare<Row>(sql: string, shape: RowShape): SqlStatement<Row> {
    const statement = this.db.prepare<SqlArg[], Row>(sql);
    // Row shapes only apply to a statement that returns rows (better-sqlite3 refuses them otherwise).
    if (statement.reader && shape === 'pluck') statement.pluck(true);
    else if (statement.reader && shape === 'raw') statement.raw(true);
    return new BetterStatementAdapter<Row>(statement, statement.reader);
  }

  close(): void {
    this.db.close();
  }
}

class BetterStatementAdapter<Row> implements SqlStatement<Row> {
  constructor(
    private readonly statement: BetterSqlite3.Statement<SqlArg[], Row>,
    private readonly reader: boolean,
  ) {}

  run(...args: SqlArg[]): RunResult {
    return this.statement.run(...args);
  }
  // better-sqlite3 refuses get() and all() on a statement that returns no rows (a PRAGMA that sets a
  // value, say); node:sqlite runs it and returns nothing, and so does this adapter.
  get(...args: SqlArg[]): Row | undefined {
    if (this.reader) return this.statement.get(...args);
    this.statement.run(...args);
    return undefined;
  }
  all(...args: SqlArg[]): Row[] {
    if (this.reader) return this.statement.all(...args);
    this.statement.run(...args);
    return [];
  }
  iterate(...args: SqlArg[]): IterableIterator<Row> {
    return this.statement.iterate(...args);
  }
}
