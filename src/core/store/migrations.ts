import { MIN_TIER_BUCKETS, TIER_BASE, rebuildSeriesTiers } from './series-tiers';
import type { PreparedQuery, SqliteDatabase } from './sqlite';

/** One schema step. `up` runs inside the transaction that also bumps `PRAGMA user_version`. */
export interface Migration {
  version: number;
  up(db: SqliteDatabase): void;
}

/**
 * The index schema, oldest first. Never edit a released step: append a new one. The index is a cache
 * of the run folders, so a step may also drop data that ingest can rebuild (see `reindex`).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up(db) {
      db.exec(`
        CREATE TABLE experiments (
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL UNIQUE
        );

        -- pk is the compact integer every child table refers to; id is the run folder name.
        CREATE TABLE runs (
          pk INTEGER PRIMARY KEY,
          id TEXT NOT NULL UNIQUE,
          experiment_id INTEGER NOT NULL REFERENCES experiments(id),
          name TEXT NOT NULL,
          status TEXT NOT NULL,
          created_at TEXT NOT NULL,
          started_at TEXT,
          ended_at TEXT,
          exit_code INTEGER,
          signal TEXT,
          message TEXT,
          pid INTEGER,
          hostname TEXT,
          git_commit TEXT,
          git_branch TEXT,
          git_dirty INTEGER,
          git_remote TEXT,
          script TEXT,
          argv_json TEXT NOT NULL,
          cwd TEXT NOT NULL,
          environment_json TEXT NOT NULL,
          placement_json TEXT NOT NULL,
          parent_run_id TEXT,
          malformed_lines INTEGER NOT NULL DEFAULT 0,
          note TEXT
        );
        CREATE INDEX runs_by_created ON runs(created_at);
        CREATE INDEX runs_by_experiment_created ON runs(experiment_id, created_at);
        CREATE INDEX runs_by_status_created ON runs(status, created_at);

        CREATE TABLE params (
          run_pk INTEGER NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
          key TEXT NOT NULL,
          value_text TEXT,
          value_num REAL,
          PRIMARY KEY (run_pk, key)
        ) WITHOUT ROWID;
        CREATE INDEX params_by_key ON params(key);

        CREATE TABLE metric_keys (
          id INTEGER PRIMARY KEY,
          key TEXT NOT NULL UNIQUE
        );

        -- The bulk of the index. seq numbers the points of one (run, key) series in logged order, so a
        -- repeated or missing step never collides; WITHOUT ROWID keeps one b-tree and no rowid per point.
        -- No foreign key here: checking one per point would cost ingest speed; deleting a run deletes
        -- its points explicitly (see deleteRun).
        CREATE TABLE metrics (
          run_pk INTEGER NOT NULL,
          key_id INTEGER NOT NULL,
          seq INTEGER NOT NULL,
          step INTEGER,
          ts REAL NOT NULL,
          value REAL,
          PRIMARY KEY (run_pk, key_id, seq)
        ) WITHOUT ROWID;

        CREATE TABLE metric_summaries (
          run_pk INTEGER NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
          key_id INTEGER NOT NULL REFERENCES metric_keys(id),
          last REAL,
          min REAL,
          max REAL,
          count INTEGER NOT NULL,
          last_step INTEGER,
          last_ts REAL,
          PRIMARY KEY (run_pk, key_id)
        ) WITHOUT ROWID;
        CREATE INDEX metric_summaries_by_key_last ON metric_summaries(key_id, last);

        CREATE TABLE tags (
          run_pk INTEGER NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
          key TEXT NOT NULL,
          value TEXT NOT NULL,
          PRIMARY KEY (run_pk, key)
        ) WITHOUT ROWID;
        CREATE INDEX tags_by_key_value ON tags(key, value);

        CREATE TABLE artifacts (
          run_pk INTEGER NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
          path TEXT NOT NULL,
          role TEXT NOT NULL,
          kind TEXT NOT NULL,
          name TEXT,
          sha256 TEXT,
          size INTEGER,
          PRIMARY KEY (run_pk, role, path)
        ) WITHOUT ROWID;
        CREATE INDEX artifacts_by_sha256 ON artifacts(sha256);

        -- How far each run file has been ingested. Compared-and-set in the same transaction as the rows.
        CREATE TABLE ingest_offsets (
          run_pk INTEGER NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
          file TEXT NOT NULL,
          offset INTEGER NOT NULL,
          -- For files rewritten whole (status.json): inode, size and mtime, to skip re-reading an unchanged file.
          fingerprint TEXT,
          PRIMARY KEY (run_pk, file)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    // Model versions, aliases, pushes and the audit log. Their truth is `.trackside/models.jsonl` and
    // `.trackside/audit.jsonl` (see src/core/models/journal-sync.ts): these tables are rebuilt from
    // those files, as the run tables are from run folders.
    version: 2,
    up(db) {
      db.exec(`
        CREATE TABLE model_versions (
          name TEXT NOT NULL,
          version INTEGER NOT NULL,
          run_id TEXT NOT NULL,
          artifact_path TEXT NOT NULL,
          sha256 TEXT,
          size INTEGER,
          created_at TEXT NOT NULL,
          actor TEXT NOT NULL,
          PRIMARY KEY (name, version)
        ) WITHOUT ROWID;
        CREATE INDEX model_versions_by_sha256 ON model_versions(sha256);
        CREATE INDEX model_versions_by_run ON model_versions(run_id);

        CREATE TABLE model_aliases (
          name TEXT NOT NULL,
          alias TEXT NOT NULL,
          version INTEGER NOT NULL,
          moved_at TEXT NOT NULL,
          actor TEXT NOT NULL,
          PRIMARY KEY (name, alias)
        ) WITHOUT ROWID;

        CREATE TABLE model_pushes (
          name TEXT NOT NULL,
          version INTEGER NOT NULL,
          registry TEXT NOT NULL,
          repository TEXT NOT NULL,
          tag TEXT,
          digest TEXT NOT NULL,
          pushed_at TEXT NOT NULL,
          actor TEXT NOT NULL,
          PRIMARY KEY (name, version, registry, repository, digest)
        ) WITHOUT ROWID;
        CREATE INDEX model_pushes_by_digest ON model_pushes(digest);

        -- Append-only: rows are never changed or deleted (a rebuild drops and recreates the table).
        CREATE TABLE audit (
          seq INTEGER PRIMARY KEY,
          at TEXT NOT NULL,
          actor TEXT NOT NULL,
          action TEXT NOT NULL,
          subject TEXT NOT NULL,
          detail_json TEXT NOT NULL
        );
        CREATE INDEX audit_by_at ON audit(at);
        CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
          BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
          BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

        -- How far each journal file under .trackside/ has been applied, compared-and-set with its rows.
        CREATE TABLE journal_offsets (
          file TEXT PRIMARY KEY,
          offset INTEGER NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    // What the user adds to a run in the editor (name, tags, note) lives in the run folder's
    // annotations.json; tags from it are marked so an edit can replace them without touching the
    // tags the training process set.
    version: 3,
    up(db) {
      db.exec(`ALTER TABLE tags ADD COLUMN source TEXT NOT NULL DEFAULT 'run';`);
    },
  },
  {
    // Pre-aggregated tiers of long series, so a chart reads a few thousand rows whatever a run's
    // length (see series-tiers.ts). Series already indexed get theirs here, from their points: a
    // chart must never find a long series without tiers.
    version: 4,
    up(db) {
      db.exec(`
        -- No foreign key, as for metrics: a run's rows go with its points (see deleteRunRows).
        CREATE TABLE metric_tiers (
          run_pk INTEGER NOT NULL,
          key_id INTEGER NOT NULL,
          tier INTEGER NOT NULL,
          bucket INTEGER NOT NULL,
          n INTEGER NOT NULL,
          x_min INTEGER NOT NULL,
          x_max INTEGER NOT NULL,
          t_min REAL NOT NULL,
          t_max REAL NOT NULL,
          first REAL NOT NULL,
          last REAL NOT NULL,
          lo REAL NOT NULL,
          hi REAL NOT NULL,
          lo_seq INTEGER NOT NULL,
          hi_seq INTEGER NOT NULL,
          PRIMARY KEY (run_pk, key_id, tier, bucket)
        ) WITHOUT ROWID;
      `);
      const statements = new Map<string, PreparedQuery>();
      const prepare = (sql: string): PreparedQuery => {
        let statement = statements.get(sql);
        if (!statement) {
          statement = db.prepare(sql);
          statements.set(sql, statement);
        }
        return statement;
      };
      const series = db
        .prepare('SELECT run_pk, key_id, count FROM metric_summaries WHERE count >= ?')
        .raw<[number, number, number]>()
        .all(TIER_BASE * MIN_TIER_BUCKETS);
      for (const [runPk, keyId, count] of series) rebuildSeriesTiers(prepare, runPk, keyId, count);
    },
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/**
 * Brings the database to the latest schema. Each step and its version bump commit together, and the
 * transaction is IMMEDIATE so two processes opening a fresh index at once cannot both apply a step.
 */
export function migrate(db: SqliteDatabase, migrations: readonly Migration[] = MIGRATIONS): number {
  for (const migration of migrations) {
    db.transaction(() => {
      const current = db.pragma('user_version') as number;
      if (current >= migration.version) return;
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }, 'immediate');
  }
  return db.pragma('user_version') as number;
}
