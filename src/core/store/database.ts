import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TRACKSIDE_DIR } from '../runs/protocol';
import { openSqlite } from './drivers';
import { IndexError, SqliteDriverError } from './errors';
import { processesHolding } from './lock-holders';
import { LATEST_SCHEMA_VERSION, migrate } from './migrations';
import type { PreparedQuery, SqliteDatabase, SqliteDriverInfo, TransactionBehavior } from './sqlite';
import { prepareStatements, type Statements } from './statements';

export const INDEX_FILE = 'index.db';
/** How long a connection waits for another's write to end before it gives up. */
const BUSY_TIMEOUT_MS = 5000;

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

  /**
   * Set when the file at the path was not a readable SQLite database: it was moved here and a new,
   * empty index took its place (the next catch-up rebuilds it from the run folders and journals).
   */
  recoveredFrom: { movedTo: string; problem: string } | null = null;

  /**
   * Opens (creating if needed) the index at `path` and migrates it to the latest schema. The index
   * is a cache of the run folders: a corrupt file is moved aside (never deleted) and started anew.
   */
  static open(path: string): IndexStore {
    try {
      return IndexStore.openFile(path);
    } catch (error) {
      if (isLockTimeout(error)) throw lockedError(path);
      if (path === ':memory:' || !isCorruption(error)) throw error;
      const movedTo = moveAside(path);
      const store = IndexStore.openFile(path);
      store.recoveredFrom = { movedTo, problem: (error as Error).message };
      return store;
    }
  }

  private static openFile(path: string): IndexStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    let db: SqliteDatabase;
    try {
      db = openSqlite(path, BUSY_TIMEOUT_MS);
    } catch (error) {
      if (error instanceof SqliteDriverError || isCorruption(error)) throw error;
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
    try {
      return this.db.transaction(fn, behavior);
    } catch (error) {
      throw isLockTimeout(error) ? lockedError(this.path) : error;
    }
  }

  close(): void {
    this.db.close();
  }
}

function configure(db: SqliteDatabase): void {
  db.pragma('journal_mode = WAL');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // NORMAL under WAL never corrupts; a power cut may lose the last commits, which ingest redoes from the files.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
}

/** SQLITE_BUSY (5) and SQLITE_LOCKED (6): the busy timeout ran out while another connection wrote. */
function isLockTimeout(error: unknown): boolean {
  const { errcode, code } = (error ?? {}) as { errcode?: unknown; code?: unknown };
  return errcode === 5 || errcode === 6 || code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

function lockedError(path: string): IndexError {
  const holders = processesHolding(path);
  const who =
    holders.length > 0
      ? holders.map((h) => `pid ${h.pid}: ${h.command}`).join('; ')
      : 'another process (an editor window, or a `trackside` command)';
  return new IndexError(
    path,
    'locked',
    `the index ${path} stayed locked for ${BUSY_TIMEOUT_MS / 1000} s by ${who}; wait for it to finish (or stop it) and try again`,
  );
}

/** SQLITE_CORRUPT (11) and SQLITE_NOTADB (26), as node:sqlite (errcode) and better-sqlite3 (code) report them. */
function isCorruption(error: unknown): boolean {
  const { errcode, code } = (error ?? {}) as { errcode?: unknown; code?: unknown };
  return errcode === 11 || errcode === 26 || code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB';
}

/** Renames the index and its WAL files to `index.db.corrupt-<time>…`; returns the new name of the index. */
function moveAside(path: string): string {
  const movedTo = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, movedTo + suffix);
  }
  return movedTo;
}

/** The one message shown when the index had to be rebuilt, or null when it opened as it was. */
export function describeRecovery(store: IndexStore): string | null {
  if (!store.recoveredFrom) return null;
  return (
    `the index ${store.path} could not be read (${store.recoveredFrom.problem}); it was moved to ` +
    `${store.recoveredFrom.movedTo} and rebuilt from the run folders (nothing recorded is lost; delete the moved file when you like)`
  );
}
