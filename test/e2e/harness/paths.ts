import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the extension's own folder, loaded as the development extension. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Screenshots, server logs and browser logs of the e2e suite (git-ignored). */
export const resultsDir = join(repoRoot, 'test-results');

/** Where scripts/install-code-server.sh puts code-server. */
export const codeServerEntry = join(repoRoot, '.vscode-test/code-server/node_modules/code-server/out/node/entry.js');

/** The .vsix written by `npm run package`. */
export const packagedVsix = join(repoRoot, 'dist/trackside.vsix');

/** Debian's Chromium; override with TRACKSIDE_CHROMIUM for another build. */
export function chromiumPath(): string {
  return process.env.TRACKSIDE_CHROMIUM ?? '/usr/bin/chromium';
}

export function isInstalled(path: string): boolean {
  return existsSync(path);
}
