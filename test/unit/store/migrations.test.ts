import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openSqlite } from '../../../src/core/store/drivers';
import { IndexStore } from '../../../src/core/store/database';
import { IndexError } from '../../../src/core/store/errors';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, migrate, type Migration } from '../../../src/core/store/migrations';

function tempDb(): { path: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'trackside-migrations-'));
  return { path: join(dir, 'index.db'), done: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('index migrations', () => {
  it('brings a fresh database to the latest schema with WAL and foreign keys on', () => {
    const { path, done } = tempDb();
    const store = IndexStore.open(path);
    assert.equal(store.db.pragma('user_version'), LATEST_SCHEMA_VERSION);
    assert.equal(store.db.pragma('journal_mode'), 'wal');
    assert.equal(store.db.pragma('foreign_keys'), 1);
    const tables = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    for (const t of [
      'artifacts',
      'experiments',
      'ingest_offsets',
      'metric_keys',
      'metric_summaries',
      'metrics',
      'params',
      'runs',
      'tags',
    ]) {
      assert.ok(tables.includes(t), `table ${t}`);
    }
    store.close();
    done();
  });

  it('applies only the missing steps to a database at an older version, keeping its rows', () => {
    const { path, done } = tempDb();
    const db = openSqlite(path);
    migrate(db, MIGRATIONS.slice(0, 1));
    db.prepare("INSERT INTO experiments(name) VALUES ('kept')").run();
    const next: Migration = {
      version: LATEST_SCHEMA_VERSION + 1,
      up: (d) => d.exec('ALTER TABLE experiments ADD COLUMN description TEXT'),
    };
    assert.equal(migrate(db, [...MIGRATIONS, next]), LATEST_SCHEMA_VERSION + 1);
    assert.deepEqual(db.prepare('SELECT name, description FROM experiments').all(), [
      { name: 'kept', description: null },
    ]);
    // Running again is a no-op.
    assert.equal(migrate(db, [...MIGRATIONS, next]), LATEST_SCHEMA_VERSION + 1);
    db.close();
    done();
  });

  it('rolls a failing step back entirely', () => {
    const { path, done } = tempDb();
    const db = openSqlite(path);
    const broken: Migration = {
      version: 1,
      up: (d) => {
        d.exec('CREATE TABLE half (x)');
        throw new Error('step failed');
      },
    };
    assert.throws(() => migrate(db, [broken]), /step failed/);
    assert.equal(db.pragma('user_version'), 0);
    assert.equal(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'").pluck().get(), 0);
    db.close();
    done();
  });

  it('moves a file that is not a database aside and opens a new index in its place', () => {
    const { path, done } = tempDb();
    writeFileSync(path, "not sqlite at all, but someone's notes\n".repeat(200));
    const store = IndexStore.open(path);
    assert.equal(store.db.pragma('user_version'), LATEST_SCHEMA_VERSION);
    assert.ok(store.recoveredFrom, 'the store says it was rebuilt');
    assert.match(store.recoveredFrom.problem, /not a database/);
    assert.match(readFileSync(store.recoveredFrom.movedTo, 'utf8'), /someone's notes/);
    store.close();
    const reopened = IndexStore.open(path);
    assert.equal(reopened.recoveredFrom, null);
    reopened.close();
    done();
  });

  it('refuses an index written by a newer Trackside', () => {
    const { path, done } = tempDb();
    const db = openSqlite(path);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`);
    db.close();
    assert.throws(
      () => IndexStore.open(path),
      (e: unknown) => e instanceof IndexError && e.reason === 'newer-schema',
    );
    done();
  });
});
