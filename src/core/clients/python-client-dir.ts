import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The folder holding the Python client (`trackside.py`), which the launcher puts on PYTHONPATH.
 * Bundled (dist/cli.js, dist/extension.js) it is the copy in `dist/python/`; run from source
 * (tests, tsx) this file sits beside `python/`, so the same lookup finds it. `TRACKSIDE_PYTHON_CLIENT`
 * overrides both, for a client installed elsewhere.
 */
export function pythonClientDir(): string {
  const override = process.env.TRACKSIDE_PYTHON_CLIENT;
  const candidates = [
    override,
    join(__dirname, 'python'),
    resolve(__dirname, '..', 'src', 'core', 'clients', 'python'),
  ];
  for (const dir of candidates) {
    if (dir && existsSync(join(dir, 'trackside.py'))) return dir;
  }
  throw new PythonClientMissingError(candidates.filter((c): c is string => Boolean(c)));
}

export class PythonClientMissingError extends Error {
  readonly reason = 'missing';
  constructor(readonly searched: string[]) {
    super(`the Python client (trackside.py) was not found in ${searched.join(', ')} — rebuild with npm run build`);
    this.name = 'PythonClientMissingError';
  }
}
