/** One benchmark figure, printed beside the baseline measured in the same run. */
export type BenchResult = {
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  /** value / baseline (for "higher is better" figures) — see `goal` for the direction. */
  ratio: number | null;
  goal: string;
  pass: boolean;
};

export function ratioOf(value: number, baseline: number | null): number | null {
  return baseline === null || baseline === 0 ? null : value / baseline;
}

/** Median wall time in milliseconds of `runs` calls of `fn` after one warm-up call. */
export function medianMs(fn: () => unknown, runs: number): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}
