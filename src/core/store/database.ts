import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TRACKSIDE_DIR } from '../runs/protocol';
import { openSqlite } from './drivers';
import { IndexError, SqliteDriverError } from './errors';
import { LATEST_SCHEMA_VERSION, migrate } from './migrations';
import type { PreparedQuery, SqliteDatabase, SqliteDriverInfo, TransactionBehavior } from './sqlite';
import { prepareStatements, type Statements } from './statements';

export const INDEX_FILE = 'index.db';

export function indexPath(workspaceRoot: string): string {
  return join(workspaceRoot, TRACKSIDE_DIR, INDEX_FILE);
}

/**
 * The one open connection to `.trackside/index.db` and its prepared statements. Several processes
 * (editor windows, the CLI) may hold it at once: WAL lets readers run beside the single writer, and
 * `busy_timeout` makes a writer wait instead of failing while another commits.
 */
export class IndexStore {
  readonly statements: Statements;
  private readonly queryCache = new Map<string, PreparedQuery>();

  private constructor(
    readonly db: SqliteDatabase,
    readonly path: string,
  ) {
    this.statements = prepareStatements(db);
  }

  /** Opens (creating if needed) the index at `path` and migrates it to the latest schema. */
  static open(path: string): IndexStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    let db: SqliteDatabase;
    try {
      db = openSqlite(path, 5000);
    } catch (error) {
      if (error instanceof SqliteDriverError) throw error;
      throw new IndexError(path, 'unopenable', `cannot open the index ${path}: ${(error as Error).message}`);
    }
    try {
      configure(db);
      const version = db.pragma('user_version') as number;
      if (version > LATEST_SCHEMA_VERSION) {
        throw new IndexError(
          path,
          'newer-schema',
          `the index ${path} was written by a newer Trackside (schema ${version}, this one knows ${LATEST_SCHEMA_VERSION}): update Trackside, or delete the file to rebuild it`,
        );
      }
      migrate(db);
      return new IndexStore(db, path);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  static openWorkspace(workspaceRoot: string): IndexStore {
    return IndexStore.open(indexPath(workspaceRoot));
  }

  /** Which SQLite library holds the index, and its SQLite version. */
  get driver(): SqliteDriverInfo {
    return this.db.driver;
  }

  /** A statement for `sql`, prepared on first use and kept for the life of the connection. */
  query<Row = unknown>(sql: string): PreparedQuery<Row> {
    let statement = this.queryCache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.queryCache.set(sql, statement);
    }
    return statement as PreparedQuery<Row>;
  }

  /** Runs `fn` in one transaction (see {@link SqliteDatabase.transaction}). */
  transaction<T>(fn: () => T, behavior: TransactionBehavior = 'deferred'): T {
    return this.db.transaction(fn, behavior);
  }

  close(): void {
    this.db.close();
  }
}

function configure(db: SqliteDatabase): void {
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  // NORMAL under WAL never corrupts; a power cut may lose the last commits, which ingest redoes from the files.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
}
