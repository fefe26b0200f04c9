import type { TopLevelSpec } from 'vega-lite';
import { formatNumber } from '../../src/core/format/numbers';
import type { MetricsWindow } from '../../src/core/monitoring/metrics';

/**
 * The Traffic charts: request rate, error rate and latency over time, one line per model version.
 * The points are shaped here (a few hundred windows at most) and each carries its tooltip text, so
 * the specs hold no transform for vega's interpreter to run.
 */

export type TrafficMetric = 'requestRate' | 'errorRate' | 'latency';

export const TRAFFIC_METRICS: readonly { metric: TrafficMetric; title: string; unit: string }[] = [
  { metric: 'requestRate', title: 'Request rate', unit: 'req/s' },
  { metric: 'errorRate', title: 'Error rate', unit: '%' },
  { metric: 'latency', title: 'Latency p50 / p95', unit: 'ms' },
];

/** The name of the charts' data set, replaced in place when new windows arrive. */
export const POINTS_DATA = 'points';

export interface TrafficPoint {
  /** The end of the window (ms since the epoch). */
  t: number;
  version: string;
  /** `p50` or `p95` on the latency chart, the metric's unit elsewhere. */
  series: string;
  value: number;
  /** The value as the tooltip shows it, with its unit. */
  text: string;
}

/** A version's label as the panel shows it: the model version, or the digest's first characters. */
export function versionLabel(digest: string, labels: Readonly<Record<string, string>>): string {
  return labels[digest] ?? `@${digest.replace(/^sha256:/, '').slice(0, 12)}`;
}

/** Versions in the order they first answered, so a version keeps its colour as the history grows. */
export function trafficVersions(windows: readonly MetricsWindow[], labels: Readonly<Record<string, string>>): string[] {
  return [...new Set(windows.map((w) => versionLabel(w.version, labels)))];
}

export function trafficPoints(
  windows: readonly MetricsWindow[],
  labels: Readonly<Record<string, string>>,
  metric: TrafficMetric,
): TrafficPoint[] {
  const points: TrafficPoint[] = [];
  for (const w of windows) {
    const version = versionLabel(w.version, labels);
    if (metric === 'requestRate') {
      points.push({
        t: w.to,
        version,
        series: 'req/s',
        value: w.requestRate,
        text: `${formatNumber(w.requestRate)} req/s`,
      });
    } else if (metric === 'errorRate') {
      const percent = w.errorRate * 100;
      const text = `${formatNumber(percent)} % (${formatNumber(w.errors)} of ${formatNumber(w.requests)})`;
      points.push({ t: w.to, version, series: '%', value: percent, text });
    } else {
      // A window without requests has no latency: its point is left out, not drawn as zero.
      for (const [series, seconds] of [
        ['p50', w.p50],
        ['p95', w.p95],
      ] as const) {
        if (seconds === null) continue;
        const ms = seconds * 1000;
        points.push({ t: w.to, version, series, value: ms, text: `${formatNumber(ms)} ms` });
      }
    }
  }
  return points;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/**
 * One small line chart. Hovering picks the nearest window in time and shows its points with a
 * tooltip per line; colours are fixed by `versions`, so new windows only replace the data.
 */
export function trafficSpec(metric: TrafficMetric, versions: readonly string[], points: TrafficPoint[]): TopLevelSpec {
  const unit = TRAFFIC_METRICS.find((m) => m.metric === metric)?.unit ?? '';
  const latency = metric === 'latency';
  const x = {
    field: 't',
    type: 'temporal' as const,
    title: null,
    // Vega's own multi-scale format: minutes over an hour, seconds over the first minutes.
    axis: { labelOverlap: true, tickCount: 5, grid: false },
  };
  const y = {
    field: 'value',
    type: 'quantitative' as const,
    title: unit,
    axis: { tickCount: 4, format: '~s' },
    // A quiet deployment (no errors, every value 0) still has an axis from 0 to 1 of its unit.
    scale: { zero: true, nice: true, domain: { unionWith: [0, 1] } },
  };
  const color = {
    field: 'version',
    type: 'nominal' as const,
    title: null,
    scale: { domain: [...versions] },
    legend: versions.length > 1 ? { orient: 'bottom' as const, direction: 'horizontal' as const } : null,
  };
  const dash = latency
    ? {
        strokeDash: {
          field: 'series',
          type: 'nominal' as const,
          title: null,
          scale: {
            domain: ['p50', 'p95'],
            range: [
              [1, 0],
              [4, 3],
            ],
          },
          legend: { orient: 'bottom' as const, direction: 'horizontal' as const, symbolType: 'stroke' },
        },
      }
    : {};
  return {
    $schema: SCHEMA,
    width: 'container',
    height: 140,
    autosize: { type: 'fit-x', contains: 'padding' },
    data: { name: POINTS_DATA, values: points },
    encoding: { x },
    layer: [
      {
        mark: { type: 'line', strokeWidth: 1.5, interpolate: 'linear' },
        encoding: { y, color, detail: { field: 'series', type: 'nominal' }, ...dash },
      },
      {
        mark: { type: 'rule', strokeWidth: 1, color: 'gray' },
        encoding: {
          opacity: { condition: { param: 'hover', empty: false, value: 0.5 }, value: 0 },
        },
      },
      {
        params: [
          {
            name: 'hover',
            select: { type: 'point', encodings: ['x'], nearest: true, on: 'pointermove', clear: 'pointerout' },
          },
        ],
        mark: { type: 'point', filled: true, size: 36 },
        encoding: {
          y,
          color,
          opacity: { condition: { param: 'hover', empty: false, value: 1 }, value: 0 },
          tooltip: [
            { field: 't', type: 'temporal', title: 'time', format: '%H:%M:%S' },
            { field: 'version', type: 'nominal', title: 'version' },
            ...(latency ? [{ field: 'series', type: 'nominal' as const, title: 'quantile' }] : []),
            { field: 'text', type: 'nominal', title: unit === '%' ? 'errors' : unit === 'ms' ? 'latency' : 'rate' },
          ],
        },
      },
    ],
  };
}
