import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lttb, minMax, type Series } from '../../../src/core/metrics/downsample';
import { emaSmooth } from '../../../src/core/metrics/smoothing';
import { extendSummary } from '../../../src/core/metrics/summary';

function noisySeries(n: number, seed: number): Series {
  let state = seed;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const x = Array.from({ length: n }, (_, i) => i);
  return { x, y: x.map((i) => Math.exp(-i / (n / 3)) + random() * 0.1) };
}

describe('downsampling', () => {
  for (const [name, fn] of [
    ['lttb', lttb],
    ['minMax', minMax],
  ] as const) {
    it(`${name} keeps first and last, never exceeds the budget, keeps x in order`, () => {
      for (const [n, budget] of [
        [10_000, 500],
        [1_001, 100],
        [50, 49],
        [7, 4],
      ] as const) {
        const series = noisySeries(n, n + budget);
        const out = fn(series, budget);
        assert.ok(out.x.length <= budget, `${out.x.length} ≤ ${budget}`);
        assert.equal(out.x[0], 0);
        assert.equal(out.x.at(-1), n - 1);
        assert.equal(out.y.at(-1), series.y.at(-1));
        for (let i = 1; i < out.x.length; i++) assert.ok((out.x[i] as number) > (out.x[i - 1] as number));
      }
    });
  }

  it('min-max keeps a single extreme spike and dip', () => {
    const series = noisySeries(100_000, 7);
    series.y[41_234] = 1e6;
    series.y[77_001] = -1e6;
    const out = minMax(series, 200);
    assert.ok(out.y.includes(1e6));
    assert.ok(out.y.includes(-1e6));
  });

  it('returns a short series unchanged', () => {
    const series = noisySeries(30, 1);
    assert.deepEqual(lttb(series, 100), series);
    assert.deepEqual(minMax(series, 30), series);
  });
});

describe('smoothing and summaries', () => {
  it('EMA is debiased at the start and passes NaN through', () => {
    const out = emaSmooth([10, 10, Number.NaN, 10], 0.9);
    assert.ok(Math.abs((out[0] as number) - 10) < 1e-9);
    assert.ok(Number.isNaN(out[2]));
    assert.ok(Math.abs((out[3] as number) - 10) < 1e-9);
    assert.throws(() => emaSmooth([1], 1), RangeError);
  });

  it('summaries skip NaN for min and max', () => {
    let s = extendSummary(null, { value: Number.NaN, step: 0, ts: 1 });
    assert.equal(s.min, null);
    s = extendSummary(s, { value: 3, step: 1, ts: 2 });
    s = extendSummary(s, { value: Number.NaN, step: 2, ts: 3 });
    assert.deepEqual(
      { min: s.min, max: s.max, count: s.count, lastStep: s.lastStep },
      { min: 3, max: 3, count: 3, lastStep: 2 },
    );
    assert.ok(Number.isNaN(s.last));
  });
});
