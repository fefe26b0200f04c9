import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { formatAge, formatBytes, formatDuration, formatNumber } from '../../../src/core/format/numbers';
import { metricDirection } from '../../../src/core/metrics/direction';

describe('one way to print a number', () => {
  it('four significant digits, whole numbers as they are, exponents at the extremes', () => {
    assert.equal(formatNumber(0.149632), '0.1496');
    assert.equal(formatNumber(0.96667), '0.9667');
    assert.equal(formatNumber(12.3456), '12.35');
    assert.equal(formatNumber(42), '42');
    assert.equal(formatNumber(-3), '-3');
    assert.equal(formatNumber(0), '0');
    assert.equal(formatNumber(6.58e-5), '6.580e-5');
    assert.equal(formatNumber(25_000_000), '2.500e+7');
    assert.equal(formatNumber(Number.NaN), 'NaN');
    assert.equal(formatNumber(Number.POSITIVE_INFINITY), 'inf');
    assert.equal(formatNumber(null), '-');
  });

  it('sizes in binary units and durations in their two largest units', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(3.5 * 2 ** 30), '3.5 GiB');
    assert.equal(formatDuration(45_400), '45s');
    assert.equal(formatDuration(185_000), '3m 05s');
    assert.equal(formatDuration(2 * 3600_000 + 3 * 60_000), '2h 03m');
    assert.equal(formatDuration(3 * 86400_000), '3d 00h');
    assert.equal(formatAge(new Date(Date.now() - 5 * 60_000).toISOString()), '5 min ago');
  });

  it('one rule says which way a metric improves', () => {
    for (const key of ['loss', 'val_loss', 'val_ppl', 'test/rmse', 'error_rate', 'latency_ms', 'wer']) {
      assert.equal(metricDirection(key), 'min', key);
    }
    for (const key of ['accuracy', 'val_acc', 'f1', 'auc', 'reward']) assert.equal(metricDirection(key), 'max', key);
  });

  it('no other module of the extension, CLI or webviews defines its own number, size or direction rule', () => {
    // Every surface (CLI, sidebar, Compare, run view, CodeLens, inline values, status bar, lineage)
    // prints through src/core/format/numbers.ts and judges metrics by src/core/metrics/direction.ts.
    const hits = execFileSync(
      'git',
      [
        'grep',
        '--untracked',
        '-nE',
        'function (formatNumber|formatBytes|formatSize|formatDuration|formatMetric|formatTick|isMinimised\\w*|defaultDirection|relativeTime)\\b',
        '--',
        'src',
        'webview',
      ],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n')
      .filter((line) => line && !line.startsWith('src/core/format/'));
    assert.deepEqual(hits, []);
  });
});
