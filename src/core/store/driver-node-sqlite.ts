import type { RowShape, RunResult, SqlArg, SqliteConnection, SqliteDriver, SqlStatement } from './sqlite';

/**
 * The part of `node:sqlite` Trackside uses, declared here because the type definitions of Node 20
 * (the oldest runtime, whose types the project builds against) do not have the module.
 */
interface NodeStatement {
  run(...args: unknown[]): RunResult;
  get(...args: unknown[]): unknown;
  all(...args: unknown[]): unknown[];
  iterate(...args: unknown[]): IterableIterator<unknown>;
  /** Node ≥ 22.16 and 24. */
  setReturnArrays?(enabled: boolean): void;
  /** Node ≥ 22.15 and 24. */
  setAllowUnknownNamedParameters?(enabled: boolean): void;
}
interface NodeDatabase {
  readonly isOpen: boolean;
  /** Node ≥ 22.16 and 24. */
  readonly isTransaction?: boolean;
  exec(sql: string): void;
  prepare(sql: string): NodeStatement;
  close(): void;
}
interface NodeSqliteModule {
  DatabaseSync: new (path: string, options?: { timeout?: number }) => NodeDatabase;
}

/**
 * Loads `node:sqlite`. Node 22 prints an ExperimentalWarning when the module is first loaded; it says
 * nothing a user can act on, so it is kept out of their terminal and the CLI's stderr (every other
 * warning still goes through).
 */
export function loadNodeSqlite(): SqliteDriver {
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/\bSQLite\b/.test(text)) return;
    return (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  let sqlite: NodeSqliteModule;
  try {
    // A require the bundler leaves alone: Node 20 has no such module, and then the next driver is tried.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sqlite = require('node:sqlite') as NodeSqliteModule;
  } finally {
    process.emitWarning = emitWarning;
  }
  return {
    name: 'node:sqlite',
    open(path, timeoutMs) {
      return new NodeSqliteConnection(new sqlite.DatabaseSync(path, { timeout: timeoutMs }));
    },
  };
}

class NodeSqliteConnection implements SqliteConnection {
  constructor(private readonly db: NodeDatabase) {}

  get isOpen(): boolean {
    return this.db.isOpen;
  }

  get inTransaction(): boolean {
    // Before Node 22.16 nothing tells; a rollback that finds no transaction is then ignored.
    return this.db.isTransaction ?? true;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  prepare<Row>(sql: string, shape: RowShape): SqlStatement<Row> {
    const statement = this.db.prepare(sql);
    // As better-sqlite3 does: extra keys in a named-parameter object are not an error.
    statement.setAllowUnknownNamedParameters?.(true);
    if (shape === 'object') return new NodeStatementAdapter<Row>(statement, plainObject);
    if (statement.setReturnArrays) {
      statement.setReturnArrays(true);
      return new NodeStatementAdapter<Row>(statement, shape === 'pluck' ? firstOfArray : identity);
    }
    // Node 22.13–22.15: rows only come as objects; their keys keep the column order.
    return new NodeStatementAdapter<Row>(statement, shape === 'pluck' ? firstValue : rowValues);
  }

  close(): void {
    this.db.close();
  }
}

const identity = (row: unknown) => row;
// node:sqlite's rows have no prototype; better-sqlite3's are plain objects, and so are these.
const plainObject = (row: unknown) => ({ ...(row as object) });
const firstOfArray = (row: unknown) => (row as unknown[])[0];
const rowValues = (row: unknown) => Object.values(row as object);
const firstValue = (row: unknown) => {
  for (const key in row as object) return (row as Record<string, unknown>)[key];
  return undefined;
};

class NodeStatementAdapter<Row> implements SqlStatement<Row> {
  constructor(
    private readonly statement: NodeStatement,
    private readonly shape: (row: unknown) => unknown,
  ) {}

  run(...args: SqlArg[]): RunResult {
    return this.statement.run(...bindable(args));
  }

  get(...args: SqlArg[]): Row | undefined {
    const row = this.statement.get(...bindable(args));
    return row === undefined ? undefined : (this.shape(row) as Row);
  }

  all(...args: SqlArg[]): Row[] {
    const rows = this.statement.all(...bindable(args));
    return (this.shape === identity ? rows : rows.map(this.shape)) as Row[];
  }

  *iterate(...args: SqlArg[]): IterableIterator<Row> {
    for (const row of this.statement.iterate(...bindable(args))) yield this.shape(row) as Row;
  }
}

/** better-sqlite3 binds `undefined` as NULL; node:sqlite refuses it. Copies only when one is present. */
function bindable(args: SqlArg[]): SqlArg[] {
  let out: SqlArg[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    let fixed: SqlArg | null = null;
    if (arg === undefined) fixed = null;
    else if (arg !== null && typeof arg === 'object' && !(arg instanceof Uint8Array)) {
      const named = arg as Record<string, unknown>;
      for (const key in named) {
        if (named[key] === undefined) {
          fixed = Object.fromEntries(Object.entries(named).map(([k, v]) => [k, v ?? null])) as SqlArg;
          break;
        }
      }
      if (fixed === null) continue;
    } else continue;
    out ??= args.slice();
    out[i] = fixed;
  }
  return out ?? args;
}
