/** A series as two parallel columns (x = step or time), the shape charts consume. */
export interface Series {
  x: number[];
  y: number[];
}

/**
 * Largest-Triangle-Three-Buckets: keeps the points that shape the curve the eye sees. Keeps the
 * first and last point; returns at most `threshold` points (the input itself when it is smaller).
 */
export function lttb(series: Series, threshold: number): Series {
  const { x, y } = series;
  const n = x.length;
  if (threshold >= n || n <= 2) return { x: x.slice(), y: y.slice() };
  if (threshold < 3) return endpoints(series, threshold);
  const outX: number[] = [x[0] as number];
  const outY: number[] = [y[0] as number];
  const bucketSize = (n - 2) / (threshold - 2);
  let a = 0;
  for (let bucket = 0; bucket < threshold - 2; bucket++) {
    const start = Math.floor(bucket * bucketSize) + 1;
    const end = Math.floor((bucket + 1) * bucketSize) + 1;
    // The average of the next bucket is the third corner of the triangle.
    const nextStart = end;
    const nextEnd = Math.min(Math.floor((bucket + 2) * bucketSize) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let i = nextStart; i < nextEnd; i++) {
      avgX += x[i] as number;
      avgY += y[i] as number;
    }
    const span = nextEnd - nextStart;
    avgX /= span;
    avgY /= span;
    const ax = x[a] as number;
    const ay = y[a] as number;
    let maxArea = -1;
    let chosen = start;
    for (let i = start; i < end; i++) {
      const area = Math.abs((ax - avgX) * ((y[i] as number) - ay) - (ax - (x[i] as number)) * (avgY - ay));
      if (area > maxArea) {
        maxArea = area;
        chosen = i;
      }
    }
    outX.push(x[chosen] as number);
    outY.push(y[chosen] as number);
    a = chosen;
  }
  outX.push(x[n - 1] as number);
  outY.push(y[n - 1] as number);
  return { x: outX, y: outY };
}

/**
 * Min-max: for each bucket keeps its lowest and highest point in x order, so a single spike (a loss
 * blow-up) is never averaged away. Keeps the first and last point; at most `threshold` points.
 */
export function minMax(series: Series, threshold: number): Series {
  const { x, y } = series;
  const n = x.length;
  if (threshold >= n || n <= 2) return { x: x.slice(), y: y.slice() };
  if (threshold < 4) return endpoints(series, threshold);
  const outX: number[] = [x[0] as number];
  const outY: number[] = [y[0] as number];
  const buckets = Math.floor((threshold - 2) / 2);
  const bucketSize = (n - 2) / buckets;
  for (let bucket = 0; bucket < buckets; bucket++) {
    const start = Math.floor(bucket * bucketSize) + 1;
    const end = Math.min(Math.floor((bucket + 1) * bucketSize) + 1, n - 1);
    let lo = -1;
    let hi = -1;
    for (let i = start; i < end; i++) {
      const v = y[i] as number;
      if (Number.isNaN(v)) continue;
      if (lo < 0 || v < (y[lo] as number)) lo = i;
      if (hi < 0 || v > (y[hi] as number)) hi = i;
    }
    if (lo < 0) continue;
    const first = Math.min(lo, hi);
    const second = Math.max(lo, hi);
    outX.push(x[first] as number);
    outY.push(y[first] as number);
    if (second !== first) {
      outX.push(x[second] as number);
      outY.push(y[second] as number);
    }
  }
  outX.push(x[n - 1] as number);
  outY.push(y[n - 1] as number);
  return { x: outX, y: outY };
}

function endpoints(series: Series, threshold: number): Series {
  const last = series.x.length - 1;
  if (threshold <= 1) return { x: [series.x[last] as number], y: [series.y[last] as number] };
  return { x: [series.x[0] as number, series.x[last] as number], y: [series.y[0] as number, series.y[last] as number] };
}

export type DownsampleMethod = 'lttb' | 'minmax';

export function downsample(series: Series, threshold: number, method: DownsampleMethod): Series {
  return method === 'lttb' ? lttb(series, threshold) : minMax(series, threshold);
}
