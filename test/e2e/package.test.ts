import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { extensionSourceFromEnvironment, installExtension, scratchCodeServer } from './harness/code-server';
import { codeServerRuntime, packagedVsix, repoRoot } from './harness/paths';
import { TempWorkspace } from '../fixtures/run-folder-builder';
import { expectedDriver, NODE_MAJORS, nodeBinary } from '../fixtures/node-runtimes';

// The .vsix a user installs: built by `npm run package`, it must carry the better-sqlite3 addon for
// Node 20 (which esbuild cannot bundle; Node 22 and 24 use node:sqlite) and nothing else from
// node_modules, and code-server must install it.

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

test('code-server installs the .vsix', async () => {
  const { dirs, env } = scratch;
  await installExtension(vsix, dirs.userData, dirs.extensions, env);
  const { node, entry } = codeServerRuntime();
  const { stdout } = await run(
    node,
    [
      entry,
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
});

// The installed CLI on every runtime users have: Node 20 opens the index with the shipped addon,
// Node 22 and 24 with node:sqlite, and each reads the index another one wrote.
describe('the installed CLI indexes runs on every Node', () => {
  const ws = new TempWorkspace('trackside-runtimes-');
  after(() => ws.cleanup());
  const installed = () => join(scratch.dirs.extensions, `${extensionId}-${manifest.version}`, 'dist', 'cli.js');
  let writtenBy: string | undefined;

  for (const major of NODE_MAJORS) {
    const node = nodeBinary(major);
    test(
      `Node ${major}: reindex and ls work with ${expectedDriver(major)}`,
      { skip: !node && `Node ${major} is not installed here (scripts/setup.sh)` },
      async () => {
        ws.run(Number(major), { name: `on-node-${major}` })
          .writeInfo()
          .writeStatus()
          .metrics(['loss'], 5);
        const reindexed = await run(node!, [installed(), 'reindex', '--workspace', ws.root]);
        assert.match(reindexed.stdout, new RegExp(`Reindexed .* \\(${expectedDriver(major)}, SQLite 3\\.`));
        assert.equal(reindexed.stderr, '', 'nothing on stderr (no ExperimentalWarning)');
        if (writtenBy) assert.match(reindexed.stdout, /runs\s+\d+/, `reads the index Node ${writtenBy} wrote`);
        const listed = await run(node!, [installed(), 'ls', '--workspace', ws.root, '--json']);
        const parsed = JSON.parse(listed.stdout) as { runs: { name: string }[]; index: { driver: string } };
        assert.equal(parsed.index.driver, expectedDriver(major));
        assert.ok(
          parsed.runs.some((r) => r.name === `on-node-${major}`),
          'lists the run it just indexed',
        );
        assert.equal(listed.stderr, '');
        const text = await run(node!, [installed(), 'ls', '--workspace', ws.root]);
        assert.match(text.stdout, new RegExp(`\\(index: ${expectedDriver(major)}, SQLite 3\\.\\d+\\.\\d+\\)`));
        writtenBy = major;
      },
    );
  }
});
