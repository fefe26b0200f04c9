import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { build } from 'esbuild';

/**
 * Checks the extension's command table against package.json in both directions. The extension
 * bundle is activated against a recording stand-in for the `vscode` module: this test only reads
 * which ids activate() registers; the real editor is exercised by the e2e suite.
 */

interface PackageJson {
  contributes: { commands: { command: string }[]; menus?: Record<string, { command: string }[]> };
}

const registered = new Set<string>();
let dir: string;

function recordingVscode(): unknown {
  const inert: unknown = new Proxy(function () {}, {
    // Thenable that never settles: `api().then(...)` chains work, and an awaited API call parks its caller.
    get: (_t, prop) => (prop === 'then' ? () => inert : inert),
    set: () => true,
    apply: () => inert,
    construct: () => inert as object,
  });
  const overrides: Record<string, unknown> = {
    // A folder is open, so the workspace features (tree, CodeLens, inline charts) register too.
    workspace: new Proxy(
      {},
      { get: (_t, prop) => (prop === 'workspaceFolders' ? [{ uri: { fsPath: dir }, name: 'ws', index: 0 }] : inert) },
    ),
    commands: {
      registerCommand: (id: string) => {
        registered.add(id);
        return { dispose() {} };
      },
      // activate() may set context keys (setContext) for menus' when clauses.
      executeCommand: async () => undefined,
    },
  };
  // A namespace object with own keys (bundlers copy a module's keys when they wrap `import * as vscode`):
  // every value-level name the vscode API declares.
  const declared = readFileSync('node_modules/@types/vscode/index.d.ts', 'utf8');
  const names = new Set(
    [...declared.matchAll(/^\t?export (?:class|enum|namespace|const|function) (\w+)/gm)].map((m) => m[1]!),
  );
  return Object.fromEntries([...names].map((n) => [n, overrides[n] ?? inert]));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trackside-commands-'));
  const outfile = join(dir, 'extension.js');
  await build({
    entryPoints: ['src/extension/extension.ts'],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile,
    external: ['vscode', 'better-sqlite3'],
    logLevel: 'silent',
  });
  const vscode = recordingVscode();
  const moduleWithLoad = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const originalLoad = moduleWithLoad._load;
  moduleWithLoad._load = (request: string, ...rest: unknown[]) =>
    request === 'vscode' ? vscode : originalLoad(request, ...rest);
  const require = Module.createRequire(outfile);
  const extension = require(outfile) as { activate(context: unknown): void; deactivate(): Promise<void> };
  const memento = { get: () => undefined, update: async () => undefined, keys: () => [] };
  extension.activate({ subscriptions: [], extensionUri: vscode, globalState: memento, workspaceState: memento });
  // Stops the timers the features started, so the test process can end.
  void extension.deactivate();
  moduleWithLoad._load = originalLoad;
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function packageJson(): Promise<PackageJson> {
  return JSON.parse(await readFile('package.json', 'utf8')) as PackageJson;
}

test('every contributed command is registered by the extension', async () => {
  const contributed = (await packageJson()).contributes.commands.map((c) => c.command);
  assert.ok(contributed.length > 0);
  assert.deepEqual(
    contributed.filter((id) => !registered.has(id)),
    [],
  );
});

test('every registered command is contributed in package.json', async () => {
  const contributed = new Set((await packageJson()).contributes.commands.map((c) => c.command));
  assert.deepEqual(
    [...registered].filter((id) => !contributed.has(id)),
    [],
  );
});

test('every command used in a menu is contributed', async () => {
  const pkg = await packageJson();
  const contributed = new Set(pkg.contributes.commands.map((c) => c.command));
  const inMenus = Object.values(pkg.contributes.menus ?? {}).flatMap((items) => items.map((i) => i.command));
  assert.deepEqual(
    inMenus.filter((id) => !contributed.has(id)),
    [],
  );
});
