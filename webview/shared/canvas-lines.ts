/**
 * Chart lines stroked straight onto a canvas with the scales of the vega view that draws the frame
 * around them: one path per line, no object per point, so 100,000 points draw in milliseconds. The
 * same lines can be stroked into an exported PNG, written as SVG paths, and hit-tested for hover.
 */

export interface CanvasLine {
  /** The legend label of the run. */
  label: string;
  color: string;
  /** Ascending x (the chart sorts a line that goes back). */
  x: number[];
  y: number[];
}

/** Maps data to pixels of the plot area (its top-left corner is 0, 0). */
export interface PlotScales {
  x: (value: number) => number;
  y: (value: number) => number;
  /** Pixel back to data x, for the hover search. */
  invertX: (pixel: number) => number;
  width: number;
  height: number;
  /** A log y scale: points at or below zero are left out, breaking the line. */
  positiveOnly: boolean;
}

/** Line width in CSS pixels. */
export const LINE_WIDTH = 1;

/**
 * Strokes every line on `ctx`, clipped to the plot. `ctx` has its origin at the plot's top-left
 * corner in device pixels, unscaled; `ratio` is device pixels per CSS pixel. Chromium's software
 * rasterizer strokes a line one device pixel wide (a hairline) more than ten times faster than any
 * wider one (50 noisy lines of 2,000 points: about 25 ms against 200–400 ms), so a line is stroked
 * as hairlines, one per device pixel of its width, each offset by a pixel diagonally.
 */
export function strokeLines(
  ctx: CanvasRenderingContext2D,
  lines: readonly CanvasLine[],
  scales: PlotScales,
  ratio: number,
): void {
  const passes = Math.max(1, Math.round(LINE_WIDTH * ratio));
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, 0, scales.width * ratio, scales.height * ratio);
  ctx.clip();
  ctx.lineWidth = 1;
  ctx.lineJoin = 'miter';
  for (const line of lines) {
    const path = new Path2D();
    forEachSegment(line, scales, (px, py, move) =>
      move ? path.moveTo(px * ratio, py * ratio) : path.lineTo(px * ratio, py * ratio),
    );
    ctx.strokeStyle = line.color;
    for (let pass = 0; pass < passes; pass++) {
      const shift = pass - (passes - 1) / 2;
      ctx.setTransform(ctx.getTransform().translate(shift, shift));
      ctx.stroke(path);
      ctx.setTransform(ctx.getTransform().translate(-shift, -shift));
    }
  }
  ctx.restore();
}

/** The lines as SVG `<path>` elements in plot coordinates, for an exported SVG. */
export function svgPaths(lines: readonly CanvasLine[], scales: PlotScales): string {
  return lines
    .map((line) => {
      const parts: string[] = [];
      forEachSegment(line, scales, (px, py, move) => parts.push(`${move ? 'M' : 'L'}${round(px)},${round(py)}`));
      return parts.length === 0 ? '' : `<path d="${parts.join('')}" stroke="${escapeAttribute(line.color)}"/>`;
    })
    .join('');
}

/**
 * Calls `visit` with each point's pixel position; `move` starts a new stretch of the line (its first
 * point, or the first after a point a log scale cannot show).
 */
function forEachSegment(
  line: CanvasLine,
  scales: PlotScales,
  visit: (px: number, py: number, move: boolean) => void,
): void {
  let pen = false;
  for (let i = 0; i < line.x.length; i++) {
    const y = line.y[i] as number;
    if (scales.positiveOnly && !(y > 0)) {
      pen = false;
      continue;
    }
    visit(scales.x(line.x[i] as number), scales.y(y), !pen);
    pen = true;
  }
}

export interface HoveredPoint {
  line: CanvasLine;
  index: number;
  /** Pixel position in the plot. */
  px: number;
  py: number;
}

/**
 * The logged point a pointer at (px, py) is on: the drawn segment nearest to it within `radius`
 * pixels, and of that segment's two ends the one nearer in x. Hovering anywhere on a line answers,
 * not only on its points, however far apart they are drawn.
 */
export function nearestPoint(
  lines: readonly CanvasLine[],
  scales: PlotScales,
  px: number,
  py: number,
  radius = 6,
): HoveredPoint | null {
  const lo = Math.min(scales.invertX(px - radius), scales.invertX(px + radius));
  const hi = Math.max(scales.invertX(px - radius), scales.invertX(px + radius));
  let best: HoveredPoint | null = null;
  let bestDistance = radius * radius;
  const consider = (line: CanvasLine, index: number, distance: number) => {
    if (distance > bestDistance) return;
    bestDistance = distance;
    const x = scales.x(line.x[index] as number);
    best = { line, index, px: x, py: scales.y(line.y[index] as number) };
  };
  for (const line of lines) {
    // The segment that enters the window from its left, each inside it, and the one that leaves it.
    const first = Math.max(0, firstAtLeast(line.x, lo) - 1);
    let previous: { i: number; x: number; y: number } | null = null;
    for (let i = first; i < line.x.length; i++) {
      const value = line.y[i] as number;
      if (scales.positiveOnly && !(value > 0)) {
        previous = null;
        continue;
      }
      const point = { i, x: scales.x(line.x[i] as number), y: scales.y(value) };
      if (previous) {
        const distance = segmentDistance(px, py, previous, point);
        const nearer = Math.abs(px - previous.x) <= Math.abs(point.x - px) ? previous.i : point.i;
        consider(line, nearer, distance);
      } else if (line.x.length === 1 || i === line.x.length - 1) {
        consider(line, i, (point.x - px) ** 2 + (point.y - py) ** 2);
      }
      previous = point;
      if ((line.x[i] as number) > hi) break;
    }
  }
  return best;
}

/** Squared distance from (px, py) to the segment a–b. */
function segmentDistance(px: number, py: number, a: { x: number; y: number }, b: { x: number; y: number }): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const length = dx * dx + dy * dy;
  const t = length === 0 ? 0 : Math.max(0, Math.min(1, ((px - a.x) * dx + (py - a.y) * dy) / length));
  return (a.x + t * dx - px) ** 2 + (a.y + t * dy - py) ** 2;
}

function firstAtLeast(xs: readonly number[], value: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A line's points in ascending x, as vega's line mark connects them; the arrays as they are when sorted. */
export function sortedByX(x: number[], y: number[]): { x: number[]; y: number[] } {
  let sorted = true;
  for (let i = 1; i < x.length && sorted; i++) sorted = (x[i] as number) >= (x[i - 1] as number);
  if (sorted) return { x, y };
  const order = x.map((_, i) => i).sort((a, b) => (x[a] as number) - (x[b] as number) || a - b);
  return { x: order.map((i) => x[i] as number), y: order.map((i) => y[i] as number) };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
