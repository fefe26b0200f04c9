import { lttb } from '../metrics/downsample';
import type { SeriesColumns, ShapedSeries, XAxis } from '../store/metric-series';

/**
 * Turns a metric series from the index into what one chart line draws: x on the chosen axis,
 * EMA-smoothed over the whole series (so zooming never changes the curve), cut to the visible x
 * range and downsampled to about one point per pixel. Vega then only draws.
 */

export interface SeriesView {
  axis: XAxis;
  /** EMA weight in [0, 1); 0 is raw. */
  smoothing: number;
  /** The most points to send for one line (the chart's width in pixels). */
  maxPoints: number;
  /** Only this x range (a zoomed chart), with one point beyond each end so lines reach the edges. */
  domain?: readonly [number, number] | null;
}

/**
 * The debiased exponential moving average of TensorBoard, one point at a time, so a live chart can
 * continue the curve from where the last update left it. Non-finite values are skipped by callers.
 */
export class EmaCursor {
  private last = 0;
  private seen = 0;

  constructor(readonly weight: number) {
    if (!(weight >= 0 && weight < 1)) throw new RangeError(`smoothing weight must be in [0, 1), got ${weight}`);
  }

  next(value: number): number {
    if (this.weight === 0) return value;
    this.last = this.last * this.weight + (1 - this.weight) * value;
    this.seen++;
    return this.last / (1 - Math.pow(this.weight, this.seen));
  }
}

/** x of every point on `axis`; `origin` is the run's start (seconds) for the relative axis. */
export function xValues(columns: SeriesColumns, axis: XAxis, origin: number): number[] {
  if (axis === 'step') return columns.step;
  if (axis === 'wall') return columns.ts.map((t) => t * 1000);
  return columns.ts.map((t) => t - origin);
}

/** x and smoothed y of the finite points, in logged order; `ema` carries on across calls. */
export function smoothedPoints(
  columns: SeriesColumns,
  axis: XAxis,
  origin: number,
  ema: EmaCursor,
): { x: number[]; y: number[] } {
  const xs = xValues(columns, axis, origin);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < columns.value.length; i++) {
    const v = columns.value[i] as number;
    if (!Number.isFinite(v)) continue;
    x.push(xs[i] as number);
    y.push(ema.next(v));
  }
  return { x, y };
}

/** Points inside `domain`, plus the nearest one outside on each side. */
export function windowed(x: number[], y: number[], domain: readonly [number, number]): { x: number[]; y: number[] } {
  const [lo, hi] = domain[0] <= domain[1] ? domain : [domain[1], domain[0]];
  let first = -1;
  let last = -1;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (v >= lo && v <= hi) {
      if (first < 0) first = i;
      last = i;
    }
  }
  if (first < 0) return { x: [], y: [] };
  const start = Math.max(0, first - 1);
  const end = Math.min(x.length, last + 2);
  return { x: x.slice(start, end), y: y.slice(start, end) };
}

/** The whole shaping, and the EMA state at the series' end for live continuation. */
export function shapeSeries(
  columns: SeriesColumns,
  view: SeriesView,
  origin: number,
): ShapedSeries & { ema: EmaCursor } {
  const ema = new EmaCursor(view.smoothing);
  let points = smoothedPoints(columns, view.axis, origin, ema);
  if (view.domain) points = windowed(points.x, points.y, view.domain);
  const total = points.x.length;
  const maxPoints = Math.max(3, Math.floor(view.maxPoints));
  if (total <= maxPoints) return { ...points, total, downsampled: false, ema };
  return { ...lttb(points, maxPoints), total, downsampled: true, ema };
}

/**
 * One run's series as a chart line on one axis and smoothing, kept while the chart shows it: a zoom
 * re-cuts it without smoothing 100,000 points again, and new points extend it (the EMA carries on).
 */
export class SmoothedLine {
  readonly x: number[] = [];
  readonly y: number[] = [];
  /** Points of the raw series already taken in. */
  private consumed = 0;
  private readonly ema: EmaCursor;

  constructor(
    readonly axis: XAxis,
    readonly smoothing: number,
    private readonly origin: number,
  ) {
    this.ema = new EmaCursor(smoothing);
  }

  fits(axis: XAxis, smoothing: number, origin: number): boolean {
    return this.axis === axis && this.smoothing === smoothing && this.origin === origin;
  }

  /** Takes in the points of `columns` not seen yet and returns them, smoothed. */
  extend(columns: SeriesColumns): { x: number[]; y: number[] } {
    if (columns.value.length <= this.consumed) return { x: [], y: [] };
    const fresh: SeriesColumns = {
      step: columns.step.slice(this.consumed),
      ts: columns.ts.slice(this.consumed),
      value: columns.value.slice(this.consumed),
      lastSeq: columns.lastSeq,
    };
    this.consumed = columns.value.length;
    const points = smoothedPoints(fresh, this.axis, this.origin, this.ema);
    for (let i = 0; i < points.x.length; i++) {
      this.x.push(points.x[i] as number);
      this.y.push(points.y[i] as number);
    }
    return points;
  }

  /** The line cut to `domain` and thinned to `maxPoints`. */
  shape(domain: readonly [number, number] | null | undefined, maxPoints: number): ShapedSeries {
    const points = domain ? windowed(this.x, this.y, domain) : { x: this.x, y: this.y };
    const total = points.x.length;
    const limit = Math.max(3, Math.floor(maxPoints));
    if (total <= limit) return { x: points.x.slice(), y: points.y.slice(), total, downsampled: false };
    return { ...lttb(points, limit), total, downsampled: true };
  }
}
