import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metricDirection } from '../../../src/core/metrics/direction';
import { defaultPrimaryMetric } from '../../../src/core/metrics/primary-metric';

test('prefers validation metrics, then loss, then the first key', () => {
  assert.equal(defaultPrimaryMetric(['loss', 'train_acc', 'val_acc', 'val_loss']), 'val_acc');
  assert.equal(defaultPrimaryMetric(['lr', 'loss', 'train_acc']), 'loss');
  assert.equal(defaultPrimaryMetric(['throughput', 'lr']), 'lr');
  assert.equal(defaultPrimaryMetric([]), undefined);
});

test('never picks a system metric, even when it sorts first or is all there is', () => {
  // "sys/…" sorts before "throughput", and an old rule took the first key when nothing else matched.
  assert.equal(defaultPrimaryMetric(['sys/cpu_percent', 'sys/rss_mb', 'throughput']), 'throughput');
  assert.equal(defaultPrimaryMetric(['sys/cpu_percent', 'sys/rss_mb']), undefined);
});

test('knows which metrics are minimised', () => {
  assert.equal(metricDirection('val_loss'), 'min');
  assert.equal(metricDirection('test/rmse'), 'min');
  assert.equal(metricDirection('val_acc'), 'max');
  assert.equal(metricDirection('f1'), 'max');
});
