import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openSqlite, sqliteDriver } from '../../../src/core/store/drivers';
import { SqliteDriverError } from '../../../src/core/store/errors';
import { chooseDriver, runtimeDescription, type SqliteDriver } from '../../../src/core/store/sqlite';

// The seam behaves the same on both drivers: this file runs on Node 24 (node:sqlite) in `npm run
// test:unit` and on Node 20 (better-sqlite3) in `npm run test:unit:node20`.
const driverName = process.versions.node.startsWith('20.') ? 'better-sqlite3' : 'node:sqlite';

function memory() {
  const db = openSqlite(':memory:');
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v)');
  return db;
}

describe(`the SQLite seam on ${driverName}`, () => {
  it('picks the driver of this runtime and reports its SQLite version', () => {
    const { info } = sqliteDriver();
    assert.equal(info.name, driverName);
    assert.match(info.sqliteVersion, /^3\.\d+\.\d+$/);
  });

  it('returns plain objects, first columns and arrays', () => {
    const db = memory();
    db.prepare('INSERT INTO t VALUES (?, ?)').run('a', 1);
    db.prepare('INSERT INTO t VALUES (?, ?)').run('b', 2.5);
    const select = db.prepare<{ k: string; v: number }>('SELECT k, v FROM t ORDER BY k');
    assert.deepStrictEqual(select.all(), [
      { k: 'a', v: 1 },
      { k: 'b', v: 2.5 },
    ]);
    assert.deepStrictEqual(select.get(), { k: 'a', v: 1 });
    assert.deepStrictEqual(select.pluck<string>().all(), ['a', 'b']);
    assert.deepStrictEqual(select.raw<[string, number]>().all(), [
      ['a', 1],
      ['b', 2.5],
    ]);
    assert.deepStrictEqual(
      [...select.raw().iterate()],
      [
        ['a', 1],
        ['b', 2.5],
      ],
    );
    // The shapes are separate statements: asking for one does not change the others.
    assert.deepStrictEqual(select.get(), { k: 'a', v: 1 });
    assert.equal(db.prepare('SELECT v FROM t WHERE k = ?').pluck().get('zz'), undefined);
    db.close();
  });

  it('binds undefined as NULL and ignores named parameters the statement does not use', () => {
    const db = memory();
    db.prepare('INSERT INTO t VALUES (?, ?)').run('a', undefined);
    db.prepare('INSERT INTO t VALUES (@k, @v)').run({ k: 'b', v: undefined, unused: 3 });
    assert.deepStrictEqual(db.prepare('SELECT v FROM t ORDER BY k').pluck().all(), [null, null]);
    const { changes } = db.prepare('UPDATE t SET v = 1').run();
    assert.equal(changes, 2);
    db.close();
  });

  it('commits a transaction, rolls back one that throws, and nests inner ones as savepoints', () => {
    const db = memory();
    const insert = db.prepare('INSERT INTO t VALUES (?, ?)');
    const keys = () => db.prepare('SELECT k FROM t ORDER BY k').pluck().all();
    assert.equal(
      db.transaction(() => {
        insert.run('a', 1);
        return 'done';
      }, 'immediate'),
      'done',
    );
    assert.throws(
      () =>
        db.transaction(() => {
          insert.run('b', 2);
          throw new Error('no');
        }),
      /no/,
    );
    db.transaction(() => {
      insert.run('c', 3);
      assert.throws(() =>
        db.transaction(() => {
          insert.run('d', 4);
          insert.run('d', 5); // a constraint error inside the savepoint
        }),
      );
      insert.run('e', 5);
    });
    assert.deepStrictEqual(keys(), ['a', 'c', 'e']);
    db.close();
  });

  it('refuses an async transaction function, leaving nothing behind', () => {
    const db = memory();
    assert.throws(
      () =>
        db.transaction(() => {
          db.prepare('INSERT INTO t VALUES (?, ?)').run('x', 1);
          return Promise.resolve();
        }),
      /must not return a promise/,
    );
    assert.equal(db.prepare('SELECT COUNT(*) FROM t').pluck().get(), 0);
    db.close();
  });

  it('reads and writes pragmas', () => {
    const db = memory();
    assert.equal(db.pragma('user_version'), 0);
    db.pragma('user_version = 7');
    assert.equal(db.pragma('user_version'), 7);
    assert.equal(db.pragma('foreign_keys = ON'), undefined);
    db.close();
    assert.equal(db.isOpen, false);
  });
});

describe('choosing a driver', () => {
  const failing =
    (message: string): (() => SqliteDriver) =>
    () => {
      throw new Error(message);
    };

  it('when no driver loads, one error names the runtime, each failure and what to do', () => {
    assert.throws(
      () => chooseDriver([failing('No such built-in module: node:sqlite'), failing('Module did not self-register')]),
      (error: unknown) => {
        assert.ok(error instanceof SqliteDriverError);
        assert.equal(error.runtime, `Node ${process.versions.node}`);
        assert.match(error.message, new RegExp(`in Node ${process.versions.node.replace(/\./g, '\\.')}:`));
        assert.match(error.message, /No such built-in module: node:sqlite; Module did not self-register/);
        assert.match(error.message, /Runs are still recorded in \.trackside\/runs; update VS Code/);
        return true;
      },
    );
  });

  it('falls through to the next driver when the first does not load', () => {
    const { info } = chooseDriver([failing('not here'), () => sqliteDriver().driver]);
    assert.equal(info.name, driverName);
  });

  it('names Electron and its Node in messages from inside desktop VS Code', () => {
    const versions = { ...process.versions, node: '22.20.0', electron: '39.2.0' };
    assert.equal(runtimeDescription(versions), 'Electron 39.2.0 (Node 22.20.0)');
    assert.equal(runtimeDescription({ ...process.versions, node: '24.22.3' }), 'Node 24.22.3');
  });
});
