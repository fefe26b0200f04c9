import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ANNOTATIONS_FILE, AnnotationsError, readAnnotations } from '../compare/annotations';
import type { IndexStore } from '../store/database';
import { applyAnnotations, storedFingerprint } from '../store/run-rows';
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
  const stored = storedFingerprint(store, pk, ANNOTATIONS_FILE);
  if (fingerprint === null && stored === undefined) return false;
  if (fingerprint === (stored ?? null)) return false;
  let annotations;
  try {
    annotations = await readAnnotations(runDir);
  } catch (error) {
    if (error instanceof AnnotationsError) return false;
    throw error;
  }
  // A cleared name falls back to the one the run was started with.
  const name = annotations.name ?? (await readRunInfo(runDir)).name;
  applyAnnotations(store, pk, { ...annotations, name }, ANNOTATIONS_FILE, fingerprint);
  return true;
}
