import { formatNumber } from '../format/numbers';
/**
 * Sparklines as standalone SVG, for editor decorations (a data URI as the decoration's icon) and
 * hover charts (a markdown image). Drawn from already-downsampled points.
 */

export interface SparklineSeries {
  values: number[];
  color: string;
  /** Earlier runs are drawn thinner and fainter behind the latest one. */
  emphasis?: 'primary' | 'secondary';
}

export interface SparklineOptions {
  width: number;
  height: number;
  strokeWidth?: number;
  /** Draw a dot on the last point of the primary series. */
  lastPoint?: boolean;
  /** Axis labels (min/max) for the larger hover chart. */
  labels?: { color: string; fontSize: number };
}

export function sparklineSvg(series: SparklineSeries[], options: SparklineOptions): string {
  const { width, height } = options;
  const stroke = options.strokeWidth ?? 1.5;
  const finite = series.flatMap((s) => s.values.filter(Number.isFinite));
  const pad = stroke + (options.lastPoint ? 1.5 : 0);
  const labelWidth = options.labels ? options.labels.fontSize * 4 : 0;
  const plotLeft = pad + labelWidth;
  const plotWidth = Math.max(1, width - plotLeft - pad);
  const plotHeight = Math.max(1, height - 2 * pad);
  const parts: string[] = [];
  if (finite.length > 0) {
    const min = Math.min(...finite);
    const max = Math.max(...finite);
    const span = max - min || 1;
    const y = (v: number) => pad + plotHeight - ((v - min) / span) * plotHeight;
    for (const s of [...series].sort((a, b) => rank(a) - rank(b))) {
      const n = s.values.length;
      const x = (i: number) => plotLeft + (n <= 1 ? plotWidth / 2 : (i / (n - 1)) * plotWidth);
      const path = linePath(s.values, x, y);
      if (!path) continue;
      const secondary = s.emphasis === 'secondary';
      parts.push(
        `<path d="${path}" fill="none" stroke="${escapeAttr(s.color)}" stroke-width="${secondary ? stroke * 0.7 : stroke}" stroke-opacity="${secondary ? 0.45 : 1}" stroke-linejoin="round" stroke-linecap="round"/>`,
      );
      const lastIndex = lastFiniteIndex(s.values);
      if (options.lastPoint && !secondary && lastIndex >= 0) {
        parts.push(
          `<circle cx="${fmt(x(lastIndex))}" cy="${fmt(y(s.values[lastIndex]!))}" r="${fmt(stroke * 1.3)}" fill="${escapeAttr(s.color)}"/>`,
        );
      }
    }
    if (options.labels) {
      const { color, fontSize } = options.labels;
      const text = (v: number, yy: number) =>
        `<text x="${fmt(labelWidth)}" y="${fmt(yy)}" font-size="${fontSize}" font-family="sans-serif" fill="${escapeAttr(color)}" text-anchor="end">${formatNumber(v)}</text>`;
      parts.push(text(max, pad + fontSize * 0.8), text(min, height - pad));
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

export function svgDataUri(svg: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}

function rank(s: SparklineSeries): number {
  return s.emphasis === 'secondary' ? 0 : 1;
}

/** A path that breaks at NaN/Infinity instead of drawing through them. */
function linePath(values: number[], x: (i: number) => number, y: (v: number) => number): string {
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${fmt(x(i))} ${fmt(y(v))}`;
    pen = true;
  });
  return d;
}

function lastFiniteIndex(values: number[]): number {
  for (let i = values.length - 1; i >= 0; i--) if (Number.isFinite(values[i])) return i;
  return -1;
}

function fmt(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

function escapeAttr(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
