import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { build } from 'esbuild';
import type { DeploymentRecord } from '../../../src/core/deploy/records';
import type { DriftReport } from '../../../src/core/monitoring/report';
import type { DeploymentPanel, DeploymentPanelSource } from '../../../src/extension/deploy/deployment-panel';
import {
  CANARY_DIGEST,
  STABLE_DIGEST,
  sampleDriftReport,
  sampleMetricsWindows,
} from '../../fixtures/monitoring/deployment-panel-data';

/**
 * The Deployment panel's host against a stand-in webview and `vscode` module: what it sends on
 * `ready`, how it recomputes and cancels drift reports, and that each button reaches the source.
 */

type Posted = { type: string; [key: string]: unknown };

interface Ui {
  panels: FakePanel[];
  errors: string[];
  warnings: string[];
  /** The answer to the next modal confirmation. */
  confirm: string | undefined;
  saveTo: string | undefined;
  opened: string[];
}

interface FakePanel {
  posted: Posted[];
  revealed: number;
  receive(message: unknown): void;
  close(): void;
}

const ui: Ui = { panels: [], errors: [], warnings: [], confirm: undefined, saveTo: undefined, opened: [] };
let dir: string;
let panelModule: {
  DeploymentPanel: {
    show(...args: unknown[]): DeploymentPanel;
    disposeAll(): void;
  };
};

function stubVscode(): unknown {
  const uri = (path: string) => ({ fsPath: path, path, toString: () => `file://${path}` });
  return {
    Uri: { file: uri, joinPath: (base: { path: string }, ...parts: string[]) => uri([base.path, ...parts].join('/')) },
    ViewColumn: { Active: -1 },
    ProgressLocation: { Notification: 15 },
    window: {
      createWebviewPanel: () => {
        let listener: ((message: unknown) => void) | undefined;
        const disposeListeners: (() => void)[] = [];
        const fake: FakePanel = {
          posted: [],
          revealed: 0,
          receive: (message) => listener?.(message),
          close: () => disposeListeners.forEach((l) => l()),
        };
        ui.panels.push(fake);
        return {
          webview: {
            cspSource: 'vscode-resource:',
            html: '',
            options: {},
            onDidReceiveMessage: (l: (message: unknown) => void) => {
              listener = l;
              return { dispose: () => (listener = undefined) };
            },
            postMessage: (message: Posted) => {
              fake.posted.push(message);
              return Promise.resolve(true);
            },
            asWebviewUri: (u: unknown) => u,
          },
          visible: true,
          title: '',
          onDidChangeViewState: () => ({ dispose() {} }),
          onDidDispose: (l: () => void) => {
            disposeListeners.push(l);
            return { dispose() {} };
          },
          reveal: () => fake.revealed++,
          dispose: () => undefined,
        };
      },
      showErrorMessage: (message: string) => {
        ui.errors.push(message);
        return Promise.resolve(undefined);
      },
      showWarningMessage: (message: string, options?: { modal?: boolean }) => {
        if (options?.modal) return Promise.resolve(ui.confirm);
        ui.warnings.push(message);
        return Promise.resolve(undefined);
      },
      showInformationMessage: () => Promise.resolve(undefined),
      withProgress: (_options: unknown, task: () => Promise<void>) => task(),
      showSaveDialog: () => Promise.resolve(ui.saveTo ? uri(ui.saveTo) : undefined),
      showTextDocument: (target: { fsPath: string }) => {
        ui.opened.push(target.fsPath);
        return Promise.resolve(undefined);
      },
    },
    workspace: {
      fs: { stat: () => Promise.resolve({}) },
      asRelativePath: (target: { fsPath: string }) => target.fsPath,
    },
  };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trackside-deployment-panel-'));
  const outfile = join(dir, 'panel.js');
  await build({
    entryPoints: ['src/extension/deploy/deployment-panel.ts'],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile,
    external: ['vscode'],
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
});

after(async () => {
  panelModule.DeploymentPanel.disposeAll();
  await rm(dir, { recursive: true, force: true });
});

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

function record(): DeploymentRecord {
  const backend = (slot: 'a' | 'b', digest: string, weight: number, version: number) => ({
    slot,
    instance: `digits.${slot}`,
    modelRef: `localhost:5000/digits@${digest}`,
    digest,
    plainHttp: true,
    labels: { 'trackside.model-version': `digits-logreg@${version}` },
    port: slot === 'a' ? 18081 : 18082,
    weight,
  });
  return {
    id: '01JDEPLOY',
    name: 'digits',
    target: 'local',
    targetKind: 'podman',
    modelName: 'digits',
    modelRef: `localhost:5000/digits@${STABLE_DIGEST}`,
    digest: STABLE_DIGEST,
    plainHttp: true,
    status: 'ready',
    endpoint: 'http://127.0.0.1:18080',
    instance: 'digits.router',
    routing: { backends: [backend('a', STABLE_DIGEST, 80, 3), backend('b', CANARY_DIGEST, 20, 4)] },
    labels: { 'trackside.model-version': 'digits-logreg@3' },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    events: [],
  };
}

/** A source whose drift reports resolve when the test says, and which records every call. */
class FakeSource implements DeploymentPanelSource {
  readonly calls: string[] = [];
  readonly driftCalls: {
    since?: number;
    signal: AbortSignal;
    resolve(r: DriftReport): void;
    reject(e: Error): void;
  }[] = [];
  private listeners: (() => void)[] = [];
  failNext: Error | undefined;

  constructor(readonly workspaceRoot: string) {}

  record(): DeploymentRecord | undefined {
    return record();
  }
  metricsHistory() {
    return sampleMetricsWindows(10);
  }
  readonly onDidUpdate = (listener: () => void) => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(): void {
    for (const l of this.listeners) l();
  }
  drift(options: { since?: number }, signal: AbortSignal): Promise<DriftReport> {
    return new Promise((resolve, reject) => this.driftCalls.push({ ...options, signal, resolve, reject }));
  }
  async split() {
    this.calls.push('split');
    return undefined;
  }
  private async call(name: string): Promise<void> {
    this.calls.push(name);
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
  }
  retrain = () => this.call('retrain');
  setSplit = (percent: number) => this.call(`setSplit ${percent}`);
  promote = () => this.call('promote');
  rollback = () => this.call('rollback');
}

const log = { warn() {}, error() {}, info() {} };
const extensionUri = { path: '/ext', fsPath: '/ext' };

test('on ready the panel sends the deployment, its metrics and the drift report it started computing on open', async () => {
  const source = new FakeSource('/work/ws');
  panelModule.DeploymentPanel.show(extensionUri, log, source, 'local', 'digits');
  const panel = ui.panels.at(-1)!;
  assert.equal(source.driftCalls.length, 1, 'the report is computed when the panel opens');
  assert.equal(panel.posted.length, 0, 'nothing is posted before ready');

  panel.receive({ type: 'ready' });
  await settle();
  assert.deepEqual(
    panel.posted.map((m) => m.type),
    ['deployment', 'metrics', 'driftPending'],
  );
  const deployment = panel.posted[0]!.deployment as { split: { label: string; weight: number }[]; version: string };
  assert.equal(deployment.version, 'digits-logreg v3');
  assert.deepEqual(
    deployment.split.map((b) => [b.label, b.weight]),
    [
      ['digits-logreg v3', 80],
      ['digits-logreg v4', 20],
    ],
  );

  source.driftCalls[0]!.resolve(sampleDriftReport());
  await settle();
  assert.equal(panel.posted.at(-1)!.type, 'drift');

  // Shown again for the same deployment: the open panel is revealed, not a second one made.
  const again = panelModule.DeploymentPanel.show(extensionUri, log, source, 'local', 'digits');
  assert.equal(ui.panels.at(-1), panel);
  assert.equal(panel.revealed, 1);

  // A metrics poll reaches the open panel.
  const before = panel.posted.length;
  source.fire();
  await settle();
  assert.deepEqual(
    panel.posted.slice(before).map((m) => m.type),
    ['metrics', 'deployment'],
  );
  again.dispose();
});

test('Refresh cancels the report still being computed, and closing the panel cancels the last one', async () => {
  const source = new FakeSource('/work/ws');
  panelModule.DeploymentPanel.show(extensionUri, log, source, 'local', 'refresh');
  const panel = ui.panels.at(-1)!;
  panel.receive({ type: 'ready' });
  panel.receive({ type: 'refreshDrift', since: '6h' });
  await settle();
  assert.equal(source.driftCalls.length, 2);
  assert.equal(source.driftCalls[0]!.signal.aborted, true);
  const since = source.driftCalls[1]!.since!;
  assert.ok(Math.abs(Date.now() / 1000 - 6 * 3600 - since) < 5, `since ${since}`);

  source.driftCalls[0]!.resolve(sampleDriftReport());
  source.driftCalls[1]!.reject(new Error('the prediction log holds no request in that period'));
  await settle();
  const drift = panel.posted.filter((m) => m.type.startsWith('drift'));
  assert.deepEqual(
    drift.map((m) => m.type),
    ['driftPending', 'driftPending', 'driftError'],
    'the cancelled report is never shown',
  );
  assert.equal(drift.at(-1)!.message, 'the prediction log holds no request in that period');
  assert.equal(drift.at(-1)!.since, '6h');

  panel.receive({ type: 'refreshDrift', since: null });
  await settle();
  assert.equal(source.driftCalls[2]!.since, undefined, 'all requests');
  panel.close();
  assert.equal(source.driftCalls[2]!.signal.aborted, true);
});

test('each button reaches the source; promote and rollback only once confirmed; failures are shown', async () => {
  const source = new FakeSource('/work/ws');
  panelModule.DeploymentPanel.show(extensionUri, log, source, 'local', 'actions');
  const panel = ui.panels.at(-1)!;
  panel.receive({ type: 'ready' });
  panel.receive({ type: 'setSplit', percent: 35 });
  await settle();
  panel.receive({ type: 'retrain' });
  await settle();
  ui.confirm = undefined;
  panel.receive({ type: 'promote' });
  await settle();
  ui.confirm = 'Roll Back';
  panel.receive({ type: 'rollback' });
  await settle();
  ui.confirm = 'Promote';
  panel.receive({ type: 'promote' });
  await settle();
  assert.deepEqual(
    source.calls.filter((c) => c !== 'split'),
    ['setSplit 35', 'retrain', 'rollback', 'promote'],
  );

  source.failNext = new Error('the router of digits is not on local any more');
  panel.receive({ type: 'setSplit', percent: 50 });
  await settle();
  assert.match(ui.errors.at(-1) ?? '', /the router of digits is not on local any more/);

  // Export and open act on the report once there is one.
  panel.receive({ type: 'exportReport' });
  await settle();
  assert.match(ui.warnings.at(-1) ?? '', /no drift report/);
  const report = sampleDriftReport();
  source.driftCalls[0]!.resolve(report);
  await settle();
  ui.saveTo = join(dir, 'drift.json');
  panel.receive({ type: 'exportReport' });
  await settle();
  assert.deepEqual(JSON.parse(await readFile(ui.saveTo, 'utf8')), JSON.parse(JSON.stringify(report)));
  panel.receive({ type: 'openReference' });
  await settle();
  assert.equal(ui.opened.at(-1), '/work/ws/data/train.csv');
  panel.close();
});
