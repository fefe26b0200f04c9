import { lttb, minMax } from '../src/core/metrics/downsample';
import { medianMs, ratioOf, type BenchResult } from './result';

const POINTS = 100_000;
const TARGET = 2_000;

/** A 100,000-point series to 2,000 points, against a plain copy and sort of the same series. */
export function benchDownsample(): BenchResult[] {
  const x = Array.from({ length: POINTS }, (_, i) => i);
  const y = x.map((i) => Math.exp(-i / 20_000) + Math.sin(i / 37) * 0.05 + (i % 9973 === 0 ? 5 : 0));
  const series = { x, y };
  const baseline = medianMs(() => Float64Array.from(y).sort(), 15);
  return (
    [
      ['LTTB', () => lttb(series, TARGET)],
      ['min-max', () => minMax(series, TARGET)],
    ] as const
  ).map(([name, fn]) => {
    const ms = medianMs(fn, 15);
    return {
      name: `downsample 100,000 → 2,000 points (${name}) vs copy + sort`,
      value: Number(ms.toFixed(2)),
      unit: 'ms',
      baseline: Number(baseline.toFixed(2)),
      ratio: ratioOf(ms, baseline),
      goal: '≤ 20 ms',
      pass: ms <= 20,
    };
  });
}
