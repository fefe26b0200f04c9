import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TRACKSIDE_DIR } from './folder-layout';

/**
 * The workspace a run belongs to: the nearest folder at or above `cwd` that holds `.trackside/`,
 * else `cwd` itself (where `.trackside/` is then created). The Python and Node clients use the same
 * rule, so a script run from a subfolder lands in the project's runs.
 */
export function findWorkspaceRoot(cwd: string): string {
  const start = resolve(cwd);
  for (let dir = start; ; dir = dirname(dir)) {
    try {
      if (statSync(join(dir, TRACKSIDE_DIR)).isDirectory()) return dir;
    } catch {
      // not here
    }
    if (dirname(dir) === dir) return start;
  }
}
