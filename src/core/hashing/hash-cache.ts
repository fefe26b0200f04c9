import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { TRACKSIDE_DIR } from '../runs/folder-layout';
import { writeJsonAtomic } from '../runs/atomic-write';
import { hashPath, type FileStamp, type HashLookup, type PathHash } from './file-hash';

/**
 * Digests of files already hashed, keyed by absolute path and valid while size and mtime are
 * unchanged, kept in `.trackside/cache/hashes.json`. The Python client reads and writes the same
 * file. It is a cache: a lost or corrupt file only costs a re-read, and when two writers race the
 * last one wins.
 */

export const HASH_CACHE_FILE = join('cache', 'hashes.json');
const HASH_CACHE_VERSION = 1;

const EntrySchema = z.object({
  size: z.number(),
  mtimeNs: z.string(),
  mtimeMs: z.number().optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
const CacheFileSchema = z.object({
  version: z.literal(HASH_CACHE_VERSION),
  entries: z.record(z.string(), EntrySchema),
});
type CacheEntry = z.infer<typeof EntrySchema>;

export function hashCachePath(workspaceRoot: string): string {
  return join(workspaceRoot, TRACKSIDE_DIR, HASH_CACHE_FILE);
}

export class HashCache implements HashLookup {
  private dirty = false;

  private constructor(
    readonly file: string,
    private readonly entries: Map<string, CacheEntry>,
  ) {}

  /** Loads the cache; a missing or unreadable file starts an empty one. */
  static async load(file: string): Promise<HashCache> {
    const entries = new Map<string, CacheEntry>();
    try {
      const parsed = CacheFileSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
      if (parsed.success) for (const [path, entry] of Object.entries(parsed.data.entries)) entries.set(path, entry);
    } catch {
      // no cache yet, or a damaged one: start over
    }
    return new HashCache(file, entries);
  }

  get(path: string, stamp: FileStamp): string | undefined {
    const entry = this.entries.get(path);
    if (!entry || entry.size !== stamp.size || entry.mtimeNs !== stamp.mtimeNs) return undefined;
    return entry.sha256;
  }

  set(path: string, stamp: FileStamp, sha256: string): void {
    this.entries.set(path, { size: stamp.size, mtimeNs: stamp.mtimeNs, mtimeMs: Number(stamp.mtimeNs) / 1e6, sha256 });
    this.dirty = true;
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    await mkdir(dirname(this.file), { recursive: true });
    await writeJsonAtomic(this.file, { version: HASH_CACHE_VERSION, entries: Object.fromEntries(this.entries) });
    this.dirty = false;
  }
}

/** Hashes a file or folder through the workspace's cache and saves the cache afterwards. */
export async function hashPathCached(workspaceRoot: string, path: string): Promise<PathHash> {
  const cache = await HashCache.load(hashCachePath(workspaceRoot));
  const result = await hashPath(path, cache);
  await cache.save();
  return result;
}
