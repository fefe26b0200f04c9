import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPrimaryMetric, isMinimisedMetric } from '../../../src/core/metrics/primary-metric';

test('prefers validation metrics, then loss, then the first key', () => {
  assert.equal(defaultPrimaryMetric(['loss', 'train_acc', 'val_acc', 'val_loss']), 'val_acc');
  assert.equal(defaultPrimaryMetric(['lr', 'loss', 'train_acc']), 'loss');
  assert.equal(defaultPrimaryMetric(['throughput', 'lr']), 'lr');
  assert.equal(defaultPrimaryMetric([]), undefined);
});

test('knows which metrics are minimised', () => {
  assert.ok(isMinimisedMetric('val_loss'));
  assert.ok(isMinimisedMetric('test/rmse'));
  assert.ok(!isMinimisedMetric('val_acc'));
  assert.ok(!isMinimisedMetric('f1'));
});
