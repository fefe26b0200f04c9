import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meanStdBands } from '../../../src/core/compare/bands';
import type { SeriesColumns } from '../../../src/core/store/metric-series';
import { EmaCursor, shapeSeries } from '../../../src/core/compare/series';
import { emaSmooth } from '../../../src/core/metrics/smoothing';

function columns(n: number, value: (i: number) => number): SeriesColumns {
  return {
    step: Array.from({ length: n }, (_, i) => i),
    ts: Array.from({ length: n }, (_, i) => 1_700_000_000 + i * 2),
    value: Array.from({ length: n }, (_, i) => value(i)),
    lastSeq: n - 1,
  };
}

test('a long series is downsampled to the chart width, keeping its ends and its spike', () => {
  const series = columns(100_000, (i) => (i === 54_321 ? 50 : Math.exp(-i / 20_000)));
  const shaped = shapeSeries(series, { axis: 'step', smoothing: 0, maxPoints: 800, domain: null }, 0);
  assert.ok(shaped.x.length <= 800);
  assert.equal(shaped.total, 100_000);
  assert.ok(shaped.downsampled);
  assert.equal(shaped.x[0], 0);
  assert.equal(shaped.x.at(-1), 99_999);
  assert.ok(shaped.y.includes(50), 'the spike survives');
});

test('zooming sends the points of the visible range, finer than the whole view had', () => {
  const series = columns(100_000, (i) => Math.sin(i / 100));
  const whole = shapeSeries(series, { axis: 'step', smoothing: 0, maxPoints: 1000, domain: null }, 0);
  const zoomed = shapeSeries(series, { axis: 'step', smoothing: 0, maxPoints: 1000, domain: [50_000, 50_500] }, 0);
  assert.equal(zoomed.total, 503, 'the 501 points in range and one beyond each end');
  assert.equal(zoomed.downsampled, false);
  assert.equal(zoomed.x[0], 49_999);
  assert.equal(zoomed.x.at(-1), 50_501);
  const wholeInRange = whole.x.filter((x) => x >= 50_000 && x <= 50_500).length;
  assert.ok(zoomed.x.length > wholeInRange * 10);
});

test('x is the step, wall-clock milliseconds, or seconds since the run started', () => {
  const series = columns(3, (i) => i);
  assert.deepEqual(shapeSeries(series, { axis: 'step', smoothing: 0, maxPoints: 10, domain: null }, 0).x, [0, 1, 2]);
  assert.deepEqual(
    shapeSeries(series, { axis: 'wall', smoothing: 0, maxPoints: 10, domain: null }, 0).x,
    [1_700_000_000_000, 1_700_000_002_000, 1_700_000_004_000],
  );
  assert.deepEqual(
    shapeSeries(series, { axis: 'relative', smoothing: 0, maxPoints: 10, domain: null }, 1_699_999_990).x,
    [10, 12, 14],
  );
});

test('smoothing matches the EMA of the metrics module, and continues across live appends', () => {
  const values = Array.from({ length: 50 }, (_, i) => Math.cos(i) + i / 10);
  const whole = shapeSeries(
    columns(50, (i) => values[i]!),
    { axis: 'step', smoothing: 0.8, maxPoints: 100, domain: null },
    0,
  );
  const reference = emaSmooth(values, 0.8);
  whole.y.forEach((y, i) => assert.ok(Math.abs(y - reference[i]!) < 1e-12));

  const first = shapeSeries(
    columns(30, (i) => values[i]!),
    { axis: 'step', smoothing: 0.8, maxPoints: 100, domain: null },
    0,
  );
  const continued = values.slice(30).map((v) => first.ema.next(v));
  continued.forEach((y, i) => assert.ok(Math.abs(y - reference[30 + i]!) < 1e-12));
});

test('NaN points are left out of the chart without breaking the smoothing', () => {
  const shaped = shapeSeries(
    columns(5, (i) => (i === 2 ? Number.NaN : i)),
    { axis: 'step', smoothing: 0, maxPoints: 10, domain: null },
    0,
  );
  assert.deepEqual(shaped.x, [0, 1, 3, 4]);
  assert.throws(() => new EmaCursor(1), RangeError);
});

test('runs grouped by a param become a mean line with a one-std band, on a shared grid', () => {
  const bands = meanStdBands(
    [
      { group: 'adam', x: [0, 10], y: [1, 3] },
      { group: 'adam', x: [0, 5, 10], y: [3, 4, 5] },
      { group: 'sgd', x: [0, 4], y: [7, 7] },
    ],
    3,
  );
  const adam = bands.filter((b) => b.group === 'adam');
  assert.deepEqual(
    adam.map((b) => [b.x, b.mean, b.upper - b.mean, b.runs]),
    [
      [0, 2, 1, 2],
      [5, 3, 1, 2],
      [10, 4, 1, 2],
    ],
  );
  const sgd = bands.filter((b) => b.group === 'sgd');
  assert.deepEqual(
    sgd.map((b) => [b.x, b.mean, b.lower, b.runs]),
    [
      [0, 7, 7, 1],
      [2, 7, 7, 1],
      [4, 7, 7, 1],
    ],
  );
});
