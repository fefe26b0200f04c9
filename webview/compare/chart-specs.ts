import { formatNumber } from '../../src/core/format/numbers';
import type { Spec as VegaSpec } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { themeConfig } from '../shared/vega-chart';
import type { ParallelAxis, ParallelPoint, ScatterPoint } from '../../src/core/compare/param-plots';
import type { XAxis } from '../../src/core/store/metric-series';

/**
 * vega-lite specs of the compare charts. Data arrives shaped by the host (downsampled, smoothed,
 * aggregated), so no spec here has a transform: under the webview CSP vega interprets expressions,
 * and a transform over thousands of points would cost seconds.
 */

/** The data set of a grouped chart's bands. */
export const LINES_DATA = 'lines';
/** The data set of a line chart's frame: the ends of each line, which set the scales. */
export const FRAME_DATA = 'frame';

/** A corner of one run's line; `run` is the run's legend label (unique within a chart). */
export interface FramePoint {
  run: string;
  x: number;
  y: number;
}

export interface BandDatum {
  group: string;
  x: number;
  mean: number;
  lower: number;
  upper: number;
  runs: number;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

function xEncoding(axis: XAxis): Record<string, unknown> {
  if (axis === 'wall') return { field: 'x', type: 'temporal', title: 'wall time' };
  return { field: 'x', type: 'quantitative', title: axis === 'step' ? 'step' : 'time since start (s)' };
}

/**
 * The frame of a line chart — axes, grid, legend and the zoom — without the lines, which the chart
 * strokes on a canvas over it (see canvas-lines.ts): vega handles every datum through interpreted
 * expressions under the webview CSP, which for 50 × 2,000 points costs about a second whatever the
 * renderer, while a canvas takes milliseconds. The frame's data is each line's two corners (lowest
 * x with lowest y, highest x with highest y), so the scales span the lines exactly as before; its
 * marks are never seen. The x scale is bound to an interval selection: dragging pans, the wheel zooms.
 */
export function lineFrameSpec(
  key: string,
  axis: XAxis,
  logScale: boolean,
  runNames: readonly string[],
  corners: FramePoint[],
): TopLevelSpec {
  return {
    $schema: SCHEMA,
    width: 'container',
    height: 260,
    autosize: { type: 'fit-x', contains: 'padding' },
    data: { name: FRAME_DATA, values: corners },
    params: [{ name: 'zoom', select: { type: 'interval', encodings: ['x'] }, bind: 'scales' }],
    mark: { type: 'line', strokeWidth: 1.5, strokeOpacity: 0, clip: true, invalid: 'show', aria: false },
    encoding: {
      x: xEncoding(axis),
      y: {
        field: 'y',
        type: 'quantitative',
        title: key,
        scale: logScale ? { type: 'log' } : { zero: false },
      },
      color: {
        field: 'run',
        type: 'nominal',
        title: 'run',
        scale: { domain: [...runNames] },
        legend: runNames.length > 20 ? null : { symbolType: 'stroke', symbolStrokeWidth: 2, symbolOpacity: 1 },
      },
    },
  };
}

/** Mean line and ± one standard deviation band per group. */
export function bandsSpec(
  key: string,
  axis: XAxis,
  logScale: boolean,
  groupBy: string,
  values: BandDatum[],
): TopLevelSpec {
  const color = { field: 'group', type: 'nominal' as const, title: groupBy };
  return {
    $schema: SCHEMA,
    width: 'container',
    height: 260,
    autosize: { type: 'fit-x', contains: 'padding' },
    data: { name: LINES_DATA, values },
    layer: [
      {
        mark: { type: 'area', opacity: 0.2, clip: true },
        encoding: {
          x: xEncoding(axis),
          y: { field: 'lower', type: 'quantitative', title: key, scale: logScale ? { type: 'log' } : { zero: false } },
          y2: { field: 'upper' },
          color,
        },
      },
      {
        params: [{ name: 'zoom', select: { type: 'interval', encodings: ['x'] }, bind: 'scales' }],
        mark: { type: 'line', strokeWidth: 1.5, clip: true },
        encoding: {
          x: xEncoding(axis),
          y: { field: 'mean', type: 'quantitative' },
          color,
          tooltip: [
            { field: 'group', type: 'nominal', title: groupBy },
            { field: 'x', type: axis === 'wall' ? 'temporal' : 'quantitative', title: 'x' },
            { field: 'mean', type: 'quantitative', title: `${key} mean`, format: ',.6~g' },
            { field: 'lower', type: 'quantitative', title: '− std', format: ',.6~g' },
            { field: 'upper', type: 'quantitative', title: '+ std', format: ',.6~g' },
            { field: 'runs', type: 'quantitative', title: 'runs' },
          ],
        },
      },
    ],
  };
}

/** One polyline per run across the axes; each axis is labelled with its range (or its categories' ends). */
export function parallelSpec(axes: ParallelAxis[], points: ParallelPoint[]): TopLevelSpec {
  const runCount = new Set(points.map((p) => p.runId)).size;
  const labels = axes.map((a) => a.label);
  const ends = axes.flatMap((a) => [
    { label: a.label, position: 1, text: a.kind === 'numeric' ? formatNumber(a.max) : (a.categories.at(-1) ?? '') },
    { label: a.label, position: 0, text: a.kind === 'numeric' ? formatNumber(a.min) : (a.categories[0] ?? '') },
  ]);
  const byLabel = new Map(axes.map((a) => [a.id, a.label]));
  const values = points.map((p) => ({ ...p, label: byLabel.get(p.axis) ?? p.axis }));
  const x = {
    field: 'label',
    type: 'nominal' as const,
    sort: labels,
    title: null,
    scale: { type: 'point' as const, padding: 0.15 },
    axis: { orient: 'bottom' as const, labelAngle: 0, domain: false, ticks: false, labelPadding: 8 },
  };
  return {
    $schema: SCHEMA,
    width: 'container',
    height: 300,
    autosize: { type: 'fit-x', contains: 'padding' },
    layer: [
      {
        data: { values: labels.map((label) => ({ label })) },
        mark: { type: 'rule', opacity: 0.6 },
        encoding: { x, y: { datum: 0, type: 'quantitative', scale: { domain: [0, 1] }, axis: null }, y2: { datum: 1 } },
      },
      {
        data: { values },
        mark: { type: 'line', strokeWidth: 1.5, opacity: 0.8 },
        encoding: {
          x,
          y: { field: 'position', type: 'quantitative', axis: null, scale: { domain: [0, 1] } },
          detail: { field: 'runId', type: 'nominal' },
          color: { field: 'name', type: 'nominal', title: 'run', legend: runCount > 20 ? null : {} },
          tooltip: [
            { field: 'name', type: 'nominal', title: 'run' },
            { field: 'label', type: 'nominal', title: 'axis' },
            { field: 'value', type: 'nominal', title: 'value' },
          ],
        },
      },
      {
        data: { values: ends },
        mark: { type: 'text', dx: 4, align: 'left', fontSize: 10 },
        encoding: {
          x,
          y: { field: 'position', type: 'quantitative', axis: null, scale: { domain: [0, 1] } },
          text: { field: 'text' },
        },
      },
    ],
  };
}

/** A param spanning two orders of magnitude or more (learning rates) is plotted on a log scale. */
function spansDecades(values: number[]): boolean {
  const min = Math.min(...values);
  return min > 0 && Math.max(...values) / min >= 50;
}

export function scatterSpec(
  paramKey: string,
  metricLabel: string,
  numericX: boolean,
  points: ScatterPoint[],
): TopLevelSpec {
  const logX = numericX && spansDecades(points.map((p) => p.x as number));
  return {
    $schema: SCHEMA,
    width: 'container',
    height: 280,
    autosize: { type: 'fit-x', contains: 'padding' },
    data: { values: points },
    params: numericX ? [{ name: 'zoom', select: { type: 'interval' }, bind: 'scales' }] : [],
    mark: { type: 'point', filled: true, size: 60, opacity: 0.8 },
    encoding: {
      x: numericX
        ? {
            field: 'x',
            type: 'quantitative',
            title: paramKey,
            scale: logX ? { type: 'log', padding: 16 } : { zero: false, padding: 16 },
          }
        : { field: 'x', type: 'nominal', title: paramKey },
      y: { field: 'y', type: 'quantitative', title: metricLabel, scale: { zero: false, padding: 16 } },
      tooltip: [
        { field: 'name', type: 'nominal', title: 'run' },
        { field: 'x', title: paramKey },
        { field: 'y', type: 'quantitative', title: metricLabel, format: ',.6~g' },
      ],
    },
  };
}

const VALIDITY_TEST = /isValid\(|isFinite\(/;

/**
 * Compiles a vega-lite spec to vega without the per-point validity tests vega-lite adds (a `defined`
 * signal, or a test per position channel) and without the `toNumber` formula on x: the host only
 * sends finite numbers, and under the webview CSP every per-point expression runs in vega's
 * interpreter, which for 50 × 2,000 points costs most of a second.
 */
export function leanVegaSpec(spec: TopLevelSpec): VegaSpec {
  const compiled = compile(spec, { config: themeConfig() }).spec;
  const strip = (marks: unknown[] | undefined): void => {
    for (const mark of (marks ?? []) as { encode?: Record<string, Record<string, unknown>>; marks?: unknown[] }[]) {
      for (const block of Object.values(mark.encode ?? {})) {
        for (const [channel, rule] of Object.entries(block)) {
          if (channel === 'defined' && VALIDITY_TEST.test(JSON.stringify(rule))) delete block[channel];
          else if (
            Array.isArray(rule) &&
            rule.length === 2 &&
            VALIDITY_TEST.test(String((rule[0] as { test?: string }).test))
          ) {
            block[channel] = rule[1];
          }
        }
      }
      strip(mark.marks);
    }
  };
  strip(compiled.marks);
  for (const data of compiled.data ?? []) {
    if (!('transform' in data) || !data.transform) continue;
    data.transform = data.transform.filter(
      (t) => !(t.type === 'formula' && /^toNumber\(datum\["[^"]+"\]\)$/.test(String(t.expr))),
    );
  }
  return compiled;
}
