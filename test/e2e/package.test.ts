import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { extensionSourceFromEnvironment, installExtension, scratchCodeServer } from './harness/code-server';
import { codeServerEntry, packagedVsix, repoRoot } from './harness/paths';

// The .vsix a user installs: built by `npm run package`, it must carry the SQLite addon (which esbuild
// cannot bundle) and nothing else from node_modules, and code-server must install it.

const run = promisify(execFile);
const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  publisher: string;
  name: string;
  version: string;
};
const extensionId = `${manifest.publisher}.${manifest.name}`;
const addon = 'extension/node_modules/better-sqlite3/build/Release/better_sqlite3.node';

let vsix = packagedVsix;
let entries: string[] = [];
const scratch = scratchCodeServer();
after(() => scratch.dispose());

before(
  async () => {
    const source = extensionSourceFromEnvironment();
    if (source.kind === 'vsix') {
      // The suite runs against a .vsix packaged before it (CI): check that very file.
      vsix = source.path;
    } else {
      await run('npm', ['run', 'package'], { cwd: repoRoot, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
    }
    assert.ok(existsSync(vsix), `${vsix} was not written`);
    const { stdout } = await run('unzip', ['-Z1', vsix], { maxBuffer: 16 * 1024 * 1024 });
    entries = stdout.split('\n').filter(Boolean);
  },
  { timeout: 320_000 },
);

test('the .vsix holds the bundles, the manifest and the native SQLite addon', () => {
  for (const expected of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/cli.js', addon]) {
    assert.ok(entries.includes(expected), `${expected} is in the .vsix`);
  }
  assert.ok(
    entries.some((entry) => entry.startsWith('extension/node_modules/better-sqlite3/lib/')),
    'the addon loader (better-sqlite3/lib) is in the .vsix',
  );
  assert.ok(
    entries.some((entry) => /^extension\/dist\/webview\/[^/]+\.js$/.test(entry)),
    'a webview bundle is in the .vsix',
  );
});

test('the .vsix ships nothing else from node_modules, and no sources or source maps', () => {
  const packages = new Set(
    entries.filter((entry) => entry.startsWith('extension/node_modules/')).map((entry) => entry.split('/')[2]),
  );
  assert.deepEqual([...packages].sort(), ['better-sqlite3', 'bindings', 'file-uri-to-path']);
  const unwanted = entries.filter(
    (entry) =>
      entry.endsWith('.map') ||
      entry.endsWith('.vsix') ||
      entry.startsWith('extension/src/') ||
      entry.startsWith('extension/test/') ||
      entry.startsWith('extension/node_modules/better-sqlite3/src/') ||
      entry.startsWith('extension/node_modules/better-sqlite3/deps/'),
  );
  assert.deepEqual(unwanted, []);
});

test('code-server installs the .vsix and its SQLite addon loads in the extension host runtime', async () => {
  const { dirs, env } = scratch;
  await installExtension(vsix, dirs.userData, dirs.extensions, env);

  const { stdout } = await run(
    process.execPath,
    [
      codeServerEntry,
      '--user-data-dir',
      dirs.userData,
      '--extensions-dir',
      dirs.extensions,
      '--list-extensions',
      '--show-versions',
    ],
    { env },
  );
  assert.ok(stdout.split('\n').includes(`${extensionId}@${manifest.version}`), `listed: ${stdout}`);

  // code-server's extension host is this same Node 20: the installed addon must open a database here.
  const installed = join(dirs.extensions, `${extensionId}-${manifest.version}`);
  const probe = `const Database = require(${JSON.stringify(join(installed, 'node_modules/better-sqlite3'))});
const db = new Database(':memory:');
process.stdout.write(db.prepare('select sqlite_version() as v').get().v);`;
  const { stdout: sqliteVersion } = await run(process.execPath, ['-e', probe], { cwd: installed });
  assert.match(sqliteVersion, /^3\.\d+\.\d+$/);
});
