/**
 * Runs grouped by a param, drawn as the group's mean with a ± one standard deviation band. Runs log
 * at different steps, so each run is linearly interpolated onto a shared grid of x values; a grid
 * point counts only the runs whose own x range covers it (no extrapolation past a run's end).
 */

export interface GroupedSeries {
  group: string;
  x: number[];
  y: number[];
}

export interface BandPoint {
  group: string;
  x: number;
  mean: number;
  lower: number;
  upper: number;
  /** Runs that contributed to this point. */
  runs: number;
}

export function meanStdBands(series: readonly GroupedSeries[], gridPoints: number): BandPoint[] {
  const groups = new Map<string, GroupedSeries[]>();
  for (const s of series) {
    if (s.x.length === 0) continue;
    const members = groups.get(s.group) ?? [];
    members.push(s);
    groups.set(s.group, members);
  }
  const out: BandPoint[] = [];
  for (const [group, members] of groups) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const m of members) {
      lo = Math.min(lo, m.x[0] as number);
      hi = Math.max(hi, m.x[m.x.length - 1] as number);
    }
    const n = hi > lo ? Math.max(2, Math.floor(gridPoints)) : 1;
    const sums = new Float64Array(n);
    const squares = new Float64Array(n);
    const counts = new Uint32Array(n);
    const grid = Array.from({ length: n }, (_, i) => (n === 1 ? lo : lo + ((hi - lo) * i) / (n - 1)));
    for (const m of members) {
      // One sweep per run: the grid and the run's x are both increasing.
      let j = 0;
      for (let i = 0; i < n; i++) {
        const gx = grid[i] as number;
        if (gx < (m.x[0] as number) || gx > (m.x[m.x.length - 1] as number)) continue;
        while (j < m.x.length - 1 && (m.x[j + 1] as number) < gx) j++;
        const x0 = m.x[j] as number;
        const y0 = m.y[j] as number;
        const x1 = m.x[Math.min(j + 1, m.x.length - 1)] as number;
        const y1 = m.y[Math.min(j + 1, m.x.length - 1)] as number;
        const v = x1 === x0 ? y0 : y0 + ((y1 - y0) * (gx - x0)) / (x1 - x0);
        sums[i] = (sums[i] as number) + v;
        squares[i] = (squares[i] as number) + v * v;
        counts[i] = (counts[i] as number) + 1;
      }
    }
    for (let i = 0; i < n; i++) {
      const count = counts[i] as number;
      if (count === 0) continue;
      const mean = (sums[i] as number) / count;
      const variance = Math.max(0, (squares[i] as number) / count - mean * mean);
      const std = Math.sqrt(variance);
      out.push({ group, x: grid[i] as number, mean, lower: mean - std, upper: mean + std, runs: count });
    }
  }
  return out;
}
