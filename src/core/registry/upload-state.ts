import { createHash } from 'node:crypto';
import { mkdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../runs/atomic-write';
import { TRACKSIDE_DIR } from '../runs/protocol';

/**
 * Where a chunked upload stands, saved after every chunk the registry confirmed, so a push that was
 * cut off (network, registry restart, Cancel, editor closed) continues from there next time instead
 * of sending the whole file again. Kept in `.trackside/cache/uploads/`, one small file per
 * (registry, repository, blob). The upload URL is a capability for that one upload, not a
 * credential; tokens and passwords are never written.
 */

const SavedUploadSchema = z.object({
  version: z.literal(1),
  registry: z.string(),
  repository: z.string(),
  digest: z.string(),
  size: z.number().int().nonnegative(),
  location: z.string().url(),
  offset: z.number().int().nonnegative(),
  updatedAt: z.string(),
});
export type SavedUpload = z.infer<typeof SavedUploadSchema>;

export interface UploadKey {
  registry: string;
  repository: string;
  digest: string;
}

export interface UploadStateStore {
  load(key: UploadKey): Promise<SavedUpload | null>;
  save(state: SavedUpload): Promise<void>;
  remove(key: UploadKey): Promise<void>;
}

export function uploadStateDir(workspaceRoot: string): string {
  return join(workspaceRoot, TRACKSIDE_DIR, 'cache', 'uploads');
}

function fileName(key: UploadKey): string {
  const id = createHash('sha256').update(`${key.registry}\n${key.repository}\n${key.digest}`).digest('hex');
  return `${id.slice(0, 40)}.json`;
}

export class FolderUploadStates implements UploadStateStore {
  constructor(readonly dir: string) {}

  async load(key: UploadKey): Promise<SavedUpload | null> {
    try {
      const parsed = SavedUploadSchema.safeParse(JSON.parse(await readFile(join(this.dir, fileName(key)), 'utf8')));
      if (!parsed.success) return null;
      const s = parsed.data;
      // A file that does not describe this very blob is a stale or foreign state: start afresh.
      return s.registry === key.registry && s.repository === key.repository && s.digest === key.digest ? s : null;
    } catch {
      return null;
    }
  }

  async save(state: SavedUpload): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(join(this.dir, fileName(state)), `${JSON.stringify(state, null, 2)}\n`);
  }

  async remove(key: UploadKey): Promise<void> {
    await unlink(join(this.dir, fileName(key))).catch(() => undefined);
  }
}

/** For callers without a workspace: resume works within one push only. */
export class MemoryUploadStates implements UploadStateStore {
  private readonly states = new Map<string, SavedUpload>();

  async load(key: UploadKey): Promise<SavedUpload | null> {
    return this.states.get(fileName(key)) ?? null;
  }

  async save(state: SavedUpload): Promise<void> {
    this.states.set(fileName(state), state);
  }

  async remove(key: UploadKey): Promise<void> {
    this.states.delete(fileName(key));
  }
}
