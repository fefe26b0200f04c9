import { loadBetterSqlite3 } from './driver-better-sqlite3';
import { loadNodeSqlite } from './driver-node-sqlite';
import { chooseDriver, SqliteDatabase, type SqliteDriver, type SqliteDriverInfo } from './sqlite';

/** node:sqlite first: it needs no native addon. better-sqlite3 only where the runtime lacks it (Node 20). */
const DRIVER_LOADERS = [loadNodeSqlite, loadBetterSqlite3] as const;

let chosen: { driver: SqliteDriver; info: SqliteDriverInfo } | undefined;

/**
 * The SQLite driver of this process, chosen on first use. Throws {@link SqliteDriverError} (with the
 * runtime and why each driver failed) when none loads.
 */
export function sqliteDriver(): { driver: SqliteDriver; info: SqliteDriverInfo } {
  chosen ??= chooseDriver(DRIVER_LOADERS);
  return chosen;
}

/** Opens (creating) a SQLite file, or `:memory:`, with the process's driver. */
export function openSqlite(path: string, timeoutMs = 5000): SqliteDatabase {
  const { driver, info } = sqliteDriver();
  return new SqliteDatabase(driver.open(path, timeoutMs), info);
}
