import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TRACKSIDE_DIR } from './folder-layout';

/** The nearest folder at or above `start` that holds a `.trackside/` folder, or null. */
export function findExistingWorkspaceRoot(start: string): string | null {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    try {
      if (statSync(join(dir, TRACKSIDE_DIR)).isDirectory()) return dir;
    } catch {
      // Not here; keep walking up.
    }
    if (dirname(dir) === dir) return null;
  }
}

/**
 * The workspace a run belongs to: the nearest folder at or above `cwd` that holds `.trackside/`,
 * else `cwd` itself (where `.trackside/` is then created). The Python and Node clients use the same
 * rule, so a script run from a subfolder lands in the project's runs.
 */
export function findWorkspaceRoot(cwd: string): string {
  return findExistingWorkspaceRoot(cwd) ?? resolve(cwd);
}
