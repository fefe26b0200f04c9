import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { build } from 'esbuild';
import { ingestAll } from '../../../src/core/runs/ingest';
import { IndexStore } from '../../../src/core/store/database';
import { TempWorkspace } from '../../fixtures/run-folder-builder';

/**
 * The Compare panel's host against a webview that sends a message outside the protocol: the
 * message is rejected and logged, and the panel goes on answering good ones. The panel module is
 * bundled and loaded with a minimal stand-in for the `vscode` module (the parts a panel touches).
 */

interface FakeWebview {
  cspSource: string;
  html: string;
  options: unknown;
  posted: { type: string; [key: string]: unknown }[];
  receive(message: unknown): void;
  onDidReceiveMessage(listener: (message: unknown) => void): { dispose(): void };
  postMessage(message: unknown): Promise<boolean>;
  asWebviewUri(uri: unknown): unknown;
}

let dir: string;
let ws: TempWorkspace;
let store: IndexStore;
let panelModule: { ComparePanel: new (...args: unknown[]) => { dispose(): void } };
const runIds: string[] = [];

function stubVscode(): unknown {
  const uri = (path: string) => ({ fsPath: path, path, toString: () => `file://${path}` });
  return {
    Uri: { file: uri, joinPath: (base: { path: string }, ...parts: string[]) => uri([base.path, ...parts].join('/')) },
    window: {},
    workspace: {},
    commands: {},
    env: {},
  };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trackside-panel-protocol-'));
  const outfile = join(dir, 'panel.js');
  await build({
    entryPoints: ['src/extension/compare/panel.ts'],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile,
    external: ['vscode', 'better-sqlite3'],
    logLevel: 'silent',
  });
  const vscode = stubVscode();
  const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const original = loader._load;
  loader._load = (request: string, ...rest: unknown[]) => (request === 'vscode' ? vscode : original(request, ...rest));
  try {
    panelModule = Module.createRequire(outfile)(outfile) as typeof panelModule;
  } finally {
    loader._load = original;
  }
  ws = new TempWorkspace('trackside-panel-protocol-ws-');
  for (let i = 0; i < 2; i++) {
    const run = ws.run(i).writeInfo().writeStatus();
    run.events(
      [0, 1, 2].map((step) => ({
        type: 'metric' as const,
        key: 'loss',
        value: 1 / (step + 1),
        step,
        ts: 1_735_689_600 + step,
      })),
    );
    runIds.push(run.id);
  }
  store = IndexStore.open(':memory:');
  await ingestAll(store, ws.root);
});

after(async () => {
  store.close();
  ws.cleanup();
  await rm(dir, { recursive: true, force: true });
});

function fakeWebview(): FakeWebview {
  let listener: ((message: unknown) => void) | undefined;
  return {
    cspSource: 'vscode-resource:',
    html: '',
    options: {},
    posted: [],
    receive(message) {
      listener?.(message);
    },
    onDidReceiveMessage(l) {
      listener = l;
      return { dispose: () => (listener = undefined) };
    },
    postMessage(message) {
      this.posted.push(message as { type: string });
      return Promise.resolve(true);
    },
    asWebviewUri: (uri) => uri,
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

test('a message outside the protocol is rejected and logged; the panel keeps answering', async () => {
  const webview = fakeWebview();
  const disposables: (() => void)[] = [];
  const panel = {
    webview,
    visible: true,
    title: '',
    iconPath: undefined,
    onDidChangeViewState: () => ({ dispose() {} }),
    onDidDispose: (l: () => void) => {
      disposables.push(l);
      return { dispose() {} };
    },
    reveal() {},
    dispose() {},
  };
  const warnings: string[] = [];
  const errors: unknown[] = [];
  const log = { warn: (m: string) => warnings.push(m), error: (...a: unknown[]) => errors.push(a), info() {} };
  const compare = new panelModule.ComparePanel(
    panel,
    {
      extensionUri: { path: '/ext', fsPath: '/ext' },
      log,
      workspaceRoot: () => ws.root,
      index: async () => store,
      onRunsChanged: () => () => undefined,
      selectionChanged: () => undefined,
    },
    'compare',
    [...runIds],
  );
  assert.match(webview.html, /Content-Security-Policy/);

  webview.receive({ type: 'ready' });
  await settle();
  assert.deepEqual(
    webview.posted.map((m) => m.type),
    ['table'],
  );

  // A request with a negative id and a key that is not a string; then a command that does not exist.
  webview.receive({
    type: 'requestSeries',
    requestId: -1,
    key: 42,
    runIds,
    view: { axis: 'step' },
    groupBy: null,
    live: true,
  });
  webview.receive({ type: 'deleteEverything' });
  webview.receive('not even an object');
  await settle();
  assert.equal(webview.posted.length, 1, 'nothing answered the bad messages');
  assert.equal(warnings.length, 3);
  for (const warning of warnings)
    assert.match(warning, /Compare panel: rejected a message that does not fit the protocol/);
  assert.match(warnings[0] ?? '', /requestId|key|view/);

  webview.receive({
    type: 'requestSeries',
    requestId: 3,
    key: 'loss',
    runIds,
    view: { axis: 'step', smoothing: 0, maxPoints: 100, domain: null },
    groupBy: null,
    live: false,
  });
  await settle();
  const series = webview.posted.at(-1) as { type: string; requestId: number; lines: { x: number[] }[] };
  assert.equal(series.type, 'series');
  assert.equal(series.requestId, 3);
  assert.deepEqual(
    series.lines.map((l) => l.x),
    [
      [0, 1, 2],
      [0, 1, 2],
    ],
  );
  assert.deepEqual(errors, []);
  compare.dispose();
});
