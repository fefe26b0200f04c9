import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the extension's own folder, loaded as the development extension. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Screenshots, server logs and browser logs of the e2e suite (git-ignored). */
export const resultsDir = join(repoRoot, 'test-results');

/**
 * Which VS Code the suite runs in (`TRACKSIDE_E2E_VSCODE`): `current` (the default, code-server 4.139 on
 * Node 24) or `minimum` (4.100.3 on Node 20, the oldest of `engines.vscode`), as scripts/runtimes.json pins.
 */
export type VsCodeFlavor = 'current' | 'minimum';

export function vscodeFlavor(): VsCodeFlavor {
  const flavor = process.env.TRACKSIDE_E2E_VSCODE ?? 'current';
  if (flavor !== 'current' && flavor !== 'minimum') {
    throw new Error(`TRACKSIDE_E2E_VSCODE must be "current" or "minimum", got "${flavor}"`);
  }
  return flavor;
}

/** A code-server install: its version, the Node it runs on, and its entry script. */
export interface CodeServerRuntime {
  flavor: VsCodeFlavor;
  version: string;
  node: string;
  entry: string;
}

let runtime: CodeServerRuntime | undefined;

/** Where scripts/install-code-server.sh put the code-server of this run's flavor (one source: runtimes.sh). */
export function codeServerRuntime(): CodeServerRuntime {
  if (!runtime) {
    const flavor = vscodeFlavor();
    const line = execFileSync('bash', [join(repoRoot, 'scripts/runtimes.sh'), 'code-server', flavor], {
      encoding: 'utf8',
    });
    const [version = '', node = '', entry = ''] = line.trim().split(' ');
    runtime = { flavor, version, node, entry };
  }
  return runtime;
}

/** The .vsix written by `npm run package`. */
export const packagedVsix = join(repoRoot, 'dist/trackside.vsix');

/** Debian's Chromium; override with TRACKSIDE_CHROMIUM for another build. */
export function chromiumPath(): string {
  return process.env.TRACKSIDE_CHROMIUM ?? '/usr/bin/chromium';
}

export function isInstalled(path: string): boolean {
  return existsSync(path);
}
