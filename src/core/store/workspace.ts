import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TRACKSIDE_DIR } from '../runs/protocol';

/** The nearest folder at or above `start` that holds a `.trackside/` folder, or null. */
export function findWorkspaceRoot(start: string): string | null {
  let current = resolve(start);
  for (;;) {
    try {
      if (statSync(join(current, TRACKSIDE_DIR)).isDirectory()) return current;
    } catch {
      // Not here; keep walking up.
    }
    const parent = dirname(current);
    if (parent === current) return null;
    current = parent;
  }
}
