import type { View } from 'vega';
import {
  LINE_WIDTH,
  nearestPoint,
  strokeLines,
  svgPaths,
  type CanvasLine,
  type HoveredPoint,
  type PlotScales,
} from './canvas-lines';

/** A chart line before it has a colour: the colour comes from the frame's color scale. */
export interface OverlayLine {
  label: string;
  x: number[];
  y: number[];
}

interface ScaleFunction {
  (value: number): number;
  invert?: (pixel: number) => number | Date;
  type?: string;
  domain?: () => (number | Date)[];
  range?: () => number[];
}

/**
 * The scale as plain arithmetic where it is one (linear, time, log): d3's scale functions cost
 * several times more per call than the stroke they feed, at 100,000 points a draw.
 */
function fastScale(scale: ScaleFunction): (value: number) => number {
  const domain = scale.domain?.().map(Number);
  const range = scale.range?.();
  if (!domain || !range || domain.length !== 2 || range.length !== 2) return (value) => scale(value);
  const [d0, d1] = domain as [number, number];
  const [r0, r1] = range as [number, number];
  if (scale.type === 'linear' || scale.type === 'time' || scale.type === 'utc') {
    if (d1 === d0) return (value) => scale(value);
    const a = (r1 - r0) / (d1 - d0);
    const b = r0 - a * d0;
    return (value) => a * value + b;
  }
  if (scale.type === 'log' && d0 > 0 && d1 > 0 && d1 !== d0) {
    const a = (r1 - r0) / (Math.log(d1) - Math.log(d0));
    const b = r0 - a * Math.log(d0);
    return (value) => a * Math.log(value) + b;
  }
  return (value) => scale(value);
}

/**
 * The canvas that carries a line chart's lines over the vega view drawing its frame (axes, grid,
 * legend), lined up with the view's plot area and stroked with the view's own scales, so zooming,
 * panning and resizing the frame move the lines with it. It takes no pointer events: wheel and drag
 * still reach the view underneath.
 */
export class LineOverlay {
  private lines: OverlayLine[] = [];
  private frame = 0;
  /** What the canvas shows (lines, scales, size): a draw that would show the same is skipped. */
  private shown = '';
  private version = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly view: View,
    private readonly positiveOnly: boolean,
  ) {
    // The frame re-renders after a zoom, a pan or a new width; the lines follow on the next frame.
    view.addSignalListener('zoom', () => this.schedule());
    view.addResizeListener(() => this.schedule());
  }

  /** The lines to draw; call again after they changed in place (a live append). */
  setLines(lines: OverlayLine[]): void {
    this.lines = lines;
    this.version++;
  }

  /** Draws at the next animation frame (several requests in one frame draw once). */
  schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  dispose(): void {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
  }

  /** Lines the canvas up with the plot area and strokes every line now. */
  draw(): void {
    const scales = this.scales();
    const [ox, oy] = this.offset();
    const host = this.canvas.offsetParent ?? this.canvas.parentElement;
    const svg = this.view.container()?.querySelector('svg, canvas');
    if (!scales || !host || !svg) return;
    const hostBox = host.getBoundingClientRect();
    const svgBox = svg.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    const x = this.view.scale('x') as ScaleFunction;
    const y = this.view.scale('y') as ScaleFunction;
    const shown = JSON.stringify([this.version, x.domain?.(), y.domain?.(), x.range?.(), y.range?.(), ratio]);
    const left = svgBox.left - hostBox.left + ox;
    const top = svgBox.top - hostBox.top + oy;
    if (shown === this.shown && this.canvas.style.left === `${left}px` && this.canvas.style.top === `${top}px`) return;
    this.shown = shown;
    const style = this.canvas.style;
    style.left = `${left}px`;
    style.top = `${top}px`;
    style.width = `${scales.width}px`;
    style.height = `${scales.height}px`;
    const width = Math.max(1, Math.round(scales.width * ratio));
    const height = Math.max(1, Math.round(scales.height * ratio));
    if (this.canvas.width !== width) this.canvas.width = width;
    if (this.canvas.height !== height) this.canvas.height = height;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, width, height);
    strokeLines(ctx, this.colored(), scales, ratio);
  }

  /** The point under the pointer (client coordinates), within a few pixels. */
  hover(clientX: number, clientY: number): (HoveredPoint & { left: number; top: number }) | null {
    const scales = this.scales();
    if (!scales) return null;
    const box = this.canvas.getBoundingClientRect();
    const hit = nearestPoint(this.colored(), scales, clientX - box.left, clientY - box.top);
    if (!hit) return null;
    return { ...hit, left: this.canvas.offsetLeft + hit.px, top: this.canvas.offsetTop + hit.py };
  }

  /** The chart as a PNG data URL at `scale`: the frame rendered by vega, the lines stroked onto it. */
  async png(scale: number): Promise<string> {
    const canvas = (await this.view.toCanvas(scale)) as unknown as HTMLCanvasElement;
    const scales = this.scales();
    const ctx = canvas.getContext('2d');
    if (scales && ctx) {
      const [ox, oy] = this.offset();
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, scale * ox, scale * oy);
      strokeLines(ctx, this.colored(), scales, scale);
      ctx.restore();
    }
    return canvas.toDataURL('image/png');
  }

  /** The chart as an SVG document: vega's frame with the lines as paths over its plot area. */
  async svg(): Promise<string> {
    const document = await this.view.toSVG();
    const scales = this.scales();
    const end = document.lastIndexOf('</svg>');
    if (!scales || end < 0) return document;
    const [ox, oy] = this.offset();
    const lines =
      `<g transform="translate(${ox},${oy})" fill="none" stroke-width="${LINE_WIDTH}" stroke-linejoin="round">` +
      `<clipPath id="trackside-lines-clip"><rect width="${scales.width}" height="${scales.height}"/></clipPath>` +
      `<g clip-path="url(#trackside-lines-clip)">${svgPaths(this.colored(), scales)}</g></g>`;
    return document.slice(0, end) + lines + document.slice(end);
  }

  /** Where the plot area starts in the view's element: vega's origin plus its padding. */
  private offset(): [number, number] {
    const padding = this.view.padding() as { left?: number; top?: number };
    const [x, y] = this.view.origin();
    return [(padding.left ?? 0) + x, (padding.top ?? 0) + y];
  }

  private colored(): CanvasLine[] {
    const color = this.view.scale('color') as ((label: string) => string) | undefined;
    return this.lines.map((line) => ({ ...line, color: color?.(line.label) ?? 'currentColor' }));
  }

  private scales(): PlotScales | null {
    const x = this.view.scale('x') as ScaleFunction | undefined;
    const y = this.view.scale('y') as ScaleFunction | undefined;
    if (!x || !y) return null;
    return {
      x: fastScale(x),
      y: fastScale(y),
      invertX: (pixel) => Number(x.invert?.(pixel) ?? Number.NaN),
      width: this.view.width(),
      height: this.view.height(),
      positiveOnly: this.positiveOnly,
    };
  }
}
