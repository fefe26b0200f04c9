import { isAbsolute, join } from 'node:path';
import { hashPath } from '../hashing/file-hash';
import { HashCache, hashCachePath } from '../hashing/hash-cache';
import type { DataNode } from './graph';

/**
 * Whether a data node's file still holds the content the runs used: `stale` when the file at its
 * newest path hashes differently now, `missing` when it is gone. Hashes go through the workspace's
 * cache, so unchanged files are not read again.
 */
export type DataFreshness = 'current' | 'stale' | 'missing' | 'unknown';

export interface FreshnessResult {
  state: DataFreshness;
  /** The content's hash now, when the file exists. */
  currentSha256: string | null;
}

export function absoluteArtifactPath(workspaceRoot: string, path: string): string {
  return isAbsolute(path) ? path : join(workspaceRoot, path);
}

/**
 * The path whose content is checked: the newest one outside `.trackside/` (a reproduction reads its
 * data inside a worktree there, which may be removed later), else the newest.
 */
function checkedPath(node: DataNode): string | undefined {
  return [...node.paths].reverse().find((p) => !p.startsWith('.trackside/')) ?? node.paths.at(-1);
}

export async function dataFreshness(
  workspaceRoot: string,
  nodes: readonly DataNode[],
): Promise<Map<string, FreshnessResult>> {
  const results = new Map<string, FreshnessResult>();
  if (nodes.length === 0) return results;
  const cache = await HashCache.load(hashCachePath(workspaceRoot));
  for (const node of nodes) {
    const path = checkedPath(node);
    if (!path || !node.sha256) {
      results.set(node.id, { state: 'unknown', currentSha256: null });
      continue;
    }
    try {
      const now = await hashPath(absoluteArtifactPath(workspaceRoot, path), cache);
      results.set(node.id, { state: now.sha256 === node.sha256 ? 'current' : 'stale', currentSha256: now.sha256 });
    } catch {
      results.set(node.id, { state: 'missing', currentSha256: null });
    }
  }
  await cache.save().catch(() => undefined);
  return results;
}
