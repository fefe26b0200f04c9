import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ANNOTATIONS_FILE, AnnotationsError, readAnnotations } from '../compare/annotations';
import type { IndexStore } from '../store/database';
import { readRunInfo } from './reader';

/**
 * Applies the run's annotations.json (the name, tags and note the user gave it in the editor) to
 * the index. Re-read only when the file's fingerprint changes; a damaged file leaves the last good
 * state in place. User tags replace each other as a set and win over a tag of the same key that the
 * training process set.
 */
export async function ingestAnnotations(store: IndexStore, runDir: string, pk: number): Promise<boolean> {
  const path = join(runDir, ANNOTATIONS_FILE);
  let fingerprint: string | null = null;
  try {
    const info = await stat(path, { bigint: true });
    fingerprint = `${info.ino}:${info.size}:${info.mtimeNs}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const stored = store
    .query('SELECT fingerprint FROM ingest_offsets WHERE run_pk = ? AND file = ?')
    .pluck()
    .get(pk, ANNOTATIONS_FILE) as string | null | undefined;
  if (fingerprint === null && stored === undefined) return false;
  if (fingerprint === (stored ?? null)) return false;
  let annotations;
  try {
    annotations = await readAnnotations(runDir);
  } catch (error) {
    if (error instanceof AnnotationsError) return false;
    throw error;
  }
  const generatedName = annotations.name ? null : (await readRunInfo(runDir)).name;
  store.transaction(() => {
    // A cleared note falls back to one the training process set as its `note` tag.
    store
      .query(
        `UPDATE runs SET name = ?,
             note = COALESCE(NULLIF(?, ''), (SELECT value FROM tags WHERE run_pk = ? AND key = 'note' AND source = 'run'))
           WHERE pk = ?`,
      )
      .run(annotations.name ?? generatedName, annotations.note, pk, pk);
    store.query("DELETE FROM tags WHERE run_pk = ? AND source = 'user'").run(pk);
    const insert = store.query(
      `INSERT INTO tags(run_pk, key, value, source) VALUES (?, ?, ?, 'user')
         ON CONFLICT(run_pk, key) DO UPDATE SET value = excluded.value, source = 'user'`,
    );
    for (const [key, value] of Object.entries(annotations.tags)) insert.run(pk, key, value);
    store
      .query(
        `INSERT INTO ingest_offsets(run_pk, file, offset, fingerprint) VALUES (?, ?, 0, ?)
           ON CONFLICT(run_pk, file) DO UPDATE SET fingerprint = excluded.fingerprint`,
      )
      .run(pk, ANNOTATIONS_FILE, fingerprint);
  }, 'immediate');
  return true;
}
