import { SqliteDriverError } from './errors';

/**
 * The one seam between Trackside and a SQLite library. Two drivers stand behind it: Node's built-in
 * `node:sqlite` (Node ≥ 22.13, so desktop VS Code since 1.101 and VS Code Server on Node 22 or 24; no
 * native addon, no ABI to match) and better-sqlite3 for Node 20, which has no `node:sqlite`. Both are
 * synchronous, write the same file format and behave the same through this interface, so an index
 * written by one opens with the other. Nothing outside `src/core/store/` imports either library.
 */

export type SqlValue = null | number | bigint | string | Uint8Array;
/** Named parameters (`@name` in the SQL, `{ name }` here). `undefined` binds NULL, as in better-sqlite3. */
export type SqlNamed = Readonly<Record<string, SqlValue | undefined>>;
export type SqlArg = SqlValue | undefined | SqlNamed;

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface SqlStatement<Row> {
  run(...args: SqlArg[]): RunResult;
  get(...args: SqlArg[]): Row | undefined;
  all(...args: SqlArg[]): Row[];
  iterate(...args: SqlArg[]): IterableIterator<Row>;
}

/** A prepared statement returning rows as objects, with its first-column and array-row forms. */
export interface PreparedQuery<Row = unknown> extends SqlStatement<Row> {
  /** The same query returning the first column of each row. */
  pluck<T = unknown>(): SqlStatement<T>;
  /** The same query returning each row as an array, in column order (no object per row). */
  raw<T extends unknown[] = unknown[]>(): SqlStatement<T>;
}

export type RowShape = 'object' | 'pluck' | 'raw';

export type SqliteDriverName = 'node:sqlite' | 'better-sqlite3';

/** Which library opened the index, and the SQLite inside it: shown by the CLI and the extension's log. */
export interface SqliteDriverInfo {
  name: SqliteDriverName;
  sqliteVersion: string;
}

/** What a driver adapter provides; transactions and pragmas are built once on top of it. */
export interface SqliteConnection {
  readonly isOpen: boolean;
  readonly inTransaction: boolean;
  exec(sql: string): void;
  prepare<Row>(sql: string, shape: RowShape): SqlStatement<Row>;
  close(): void;
}

export interface SqliteDriver {
  readonly name: SqliteDriverName;
  /** Opens (creating) the file; `timeoutMs` is how long a statement waits for another writer's lock. */
  open(path: string, timeoutMs: number): SqliteConnection;
}

export type TransactionBehavior = 'deferred' | 'immediate';

/** An open SQLite database, whichever driver holds it. */
export class SqliteDatabase {
  private depth = 0;

  constructor(
    private readonly connection: SqliteConnection,
    readonly driver: SqliteDriverInfo,
  ) {}

  get isOpen(): boolean {
    return this.connection.isOpen;
  }

  exec(sql: string): void {
    this.connection.exec(sql);
  }

  prepare<Row = unknown>(sql: string): PreparedQuery<Row> {
    return new Query<Row>(this.connection, sql);
  }

  /** The first column of the first row `PRAGMA <text>` returns (the value for a read, the result for a write). */
  pragma(text: string): unknown {
    return this.connection.prepare<unknown>(`PRAGMA ${text}`, 'pluck').get();
  }

  /**
   * Runs `fn` in a transaction: committed when it returns, rolled back when it throws. A transaction
   * opened inside another becomes a savepoint of it. `fn` must not be async: a transaction that spans
   * an `await` would hold the write lock while other work runs.
   */
  transaction<T>(fn: () => T, behavior: TransactionBehavior = 'deferred'): T {
    const savepoint = this.depth > 0 ? `trackside_${this.depth}` : null;
    this.connection.exec(savepoint ? `SAVEPOINT ${savepoint}` : behavior === 'immediate' ? 'BEGIN IMMEDIATE' : 'BEGIN');
    this.depth++;
    try {
      const result = fn();
      if (result instanceof Promise) throw new TypeError('a transaction function must not return a promise');
      this.connection.exec(savepoint ? `RELEASE ${savepoint}` : 'COMMIT');
      return result;
    } catch (error) {
      // SQLite may have rolled back already (a failed COMMIT, a full disk); only undo what is still open.
      if (this.connection.inTransaction) {
        try {
          this.connection.exec(savepoint ? `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}` : 'ROLLBACK');
        } catch {
          // Nothing was left to roll back; the error that ended the transaction is the one to report.
        }
      }
      throw error;
    } finally {
      this.depth--;
    }
  }

  close(): void {
    if (this.connection.isOpen) this.connection.close();
  }
}

class Query<Row> implements PreparedQuery<Row> {
  private readonly rows: SqlStatement<Row>;
  private firstColumn: SqlStatement<unknown> | undefined;
  private arrays: SqlStatement<unknown[]> | undefined;

  constructor(
    private readonly connection: SqliteConnection,
    private readonly sql: string,
  ) {
    this.rows = connection.prepare<Row>(sql, 'object');
  }

  run(...args: SqlArg[]): RunResult {
    return this.rows.run(...args);
  }
  get(...args: SqlArg[]): Row | undefined {
    return this.rows.get(...args);
  }
  all(...args: SqlArg[]): Row[] {
    return this.rows.all(...args);
  }
  iterate(...args: SqlArg[]): IterableIterator<Row> {
    return this.rows.iterate(...args);
  }
  pluck<T>(): SqlStatement<T> {
    this.firstColumn ??= this.connection.prepare<unknown>(this.sql, 'pluck');
    return this.firstColumn as SqlStatement<T>;
  }
  raw<T extends unknown[]>(): SqlStatement<T> {
    this.arrays ??= this.connection.prepare<unknown[]>(this.sql, 'raw');
    return this.arrays as SqlStatement<T>;
  }
}

/** Where a driver comes from: a function that loads its library, or throws why it cannot. */
export type DriverLoader = () => SqliteDriver;

/**
 * The first driver of `loaders` that loads and opens a database in this runtime. Throws
 * {@link SqliteDriverError} naming the runtime and each driver's failure when none does.
 */
export function chooseDriver(loaders: readonly DriverLoader[]): { driver: SqliteDriver; info: SqliteDriverInfo } {
  const failures: string[] = [];
  for (const load of loaders) {
    try {
      const driver = load();
      const probe = driver.open(':memory:', 0);
      try {
        const sqliteVersion = String(probe.prepare<unknown>('SELECT sqlite_version()', 'pluck').get());
        return { driver, info: { name: driver.name, sqliteVersion } };
      } finally {
        probe.close();
      }
    } catch (error) {
      failures.push((error as Error).message.split('\n')[0] ?? String(error));
    }
  }
  throw new SqliteDriverError(runtimeDescription(), failures);
}

/** A description of the running runtime, for messages: "Node 24.22.3" or "Electron 39.2.0 (Node 22.20.0)". */
export function runtimeDescription(versions: NodeJS.ProcessVersions = process.versions): string {
  const electron = (versions as NodeJS.ProcessVersions & { electron?: string }).electron;
  return electron ? `Electron ${electron} (Node ${versions.node})` : `Node ${versions.node}`;
}
