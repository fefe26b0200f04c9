import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DeploymentCommandSchema,
  DeploymentNotificationSchema,
  durationSeconds,
} from '../../../src/protocol/deployment';
import {
  HOSTILE_FEATURES,
  sampleDeploymentView,
  sampleDriftReport,
  sampleMetricsWindows,
} from '../../fixtures/monitoring/deployment-panel-data';

/**
 * The Deployment panel's protocol: what the host sends (a real drift report, real metrics windows)
 * passes the webview's parse unchanged, and commands outside the protocol are refused.
 */

test('the notifications the host sends pass the parse unchanged, through JSON as postMessage carries them', () => {
  const report = sampleDriftReport();
  assert.ok(report.driftedFeatures.includes('sepal_length'), 'the sample has a shifted feature');
  assert.ok(HOSTILE_FEATURES.every((name) => report.features.some((f) => f.name === name)));
  const windows = sampleMetricsWindows();
  assert.deepEqual(new Set(windows.map((w) => w.version)).size, 2, 'the windows have both versions of the split');
  const notifications = [
    { type: 'deployment', deployment: sampleDeploymentView(true) },
    { type: 'deployment', deployment: sampleDeploymentView(false) },
    { type: 'metrics', windows },
    { type: 'metrics', windows: [] },
    { type: 'driftPending', since: '6h' },
    { type: 'drift', report, since: null },
    { type: 'driftError', message: 'the prediction log holds no request in that period', since: '1h' },
  ];
  for (const notification of notifications) {
    const carried: unknown = JSON.parse(JSON.stringify(notification));
    const parsed = DeploymentNotificationSchema.safeParse(carried);
    assert.ok(parsed.success, `${notification.type}: ${JSON.stringify(parsed.error?.issues[0])}`);
    assert.deepEqual(parsed.data, carried);
  }
});

test('a split is two backends, each with a whole percent', () => {
  const view = sampleDeploymentView(true);
  const [a, b] = view.split!;
  for (const split of [[a], [a, b, a], [a, { ...b!, weight: 20.5 }], [a, { ...b!, weight: 101 }]]) {
    assert.equal(
      DeploymentNotificationSchema.safeParse({ type: 'deployment', deployment: { ...view, split } }).success,
      false,
    );
  }
});

test('the commands of the panel are accepted as the webview sends them', () => {
  const commands = [
    { type: 'ready' },
    { type: 'refreshDrift', since: '6h' },
    { type: 'refreshDrift', since: '30m' },
    { type: 'refreshDrift', since: '2d' },
    { type: 'refreshDrift', since: null },
    { type: 'openReference' },
    { type: 'retrain' },
    { type: 'setSplit', percent: 0 },
    { type: 'setSplit', percent: 35 },
    { type: 'setSplit', percent: 100 },
    { type: 'promote' },
    { type: 'rollback' },
    { type: 'exportReport' },
  ];
  for (const command of commands) assert.deepEqual(DeploymentCommandSchema.parse(command), command);
});

test('malformed commands are refused', () => {
  const refused: unknown[] = [
    'ready',
    null,
    {},
    { type: 'deleteDeployment' },
    { type: 'setSplit', percent: 101 },
    { type: 'setSplit', percent: -1 },
    { type: 'setSplit', percent: 12.5 },
    { type: 'setSplit', percent: '50' },
    { type: 'setSplit' },
    { type: 'refreshDrift' },
    { type: 'refreshDrift', since: 6 },
    { type: 'refreshDrift', since: '6 hours' },
    { type: 'refreshDrift', since: '0h' },
    { type: 'refreshDrift', since: '6h; rm -rf /' },
    { type: 'promote', percent: 100 },
    { type: 'ready', extra: true },
    { type: 'exportReport', path: '/etc/passwd' },
    { type: 'openReference', path: '../../secret.csv' },
  ];
  for (const message of refused) {
    assert.equal(DeploymentCommandSchema.safeParse(message).success, false, JSON.stringify(message));
  }
});

test('a since duration is read in seconds', () => {
  assert.equal(durationSeconds('1h'), 3600);
  assert.equal(durationSeconds('6h'), 21_600);
  assert.equal(durationSeconds('24h'), 86_400);
  assert.equal(durationSeconds('30m'), 1800);
  assert.equal(durationSeconds('2d'), 172_800);
  assert.equal(durationSeconds(null), null);
});
