import { formatNumber } from '../../core/format/numbers';
import type { MetricsWindow } from '../../core/monitoring/metrics';
import type { Backend } from '../../core/deploy/records';
import { DEPLOYMENT_MODEL_VERSION_LABEL } from '../../core/lineage/load-graph';

/** One deployment's newest polling window, all its versions together, as the Deployments view shows it. */
export interface TrafficSummary {
  requestRate: number;
  requests: number;
  errorRate: number;
  /** Seconds; the slowest version's, null without requests. */
  p50: number | null;
  p95: number | null;
}

export function summarizeTraffic(windows: readonly MetricsWindow[]): TrafficSummary | undefined {
  if (windows.length === 0) return undefined;
  const requests = windows.reduce((sum, w) => sum + w.requests, 0);
  const errors = windows.reduce((sum, w) => sum + w.errors, 0);
  const slowest = (pick: (w: MetricsWindow) => number | null) =>
    windows.reduce<number | null>((max, w) => {
      const value = pick(w);
      return value === null ? max : max === null ? value : Math.max(max, value);
    }, null);
  return {
    requestRate: windows.reduce((sum, w) => sum + w.requestRate, 0),
    requests,
    errorRate: requests > 0 ? errors / requests : 0,
    p50: slowest((w) => w.p50),
    p95: slowest((w) => w.p95),
  };
}

const milliseconds = (seconds: number) => `${formatNumber(seconds * 1000)} ms`;
const percent = (share: number) => `${share === 0 ? '0' : formatNumber(share * 100)}%`;

/** `3.2 req/s · 0% errors · p50 4 ms · p95 12 ms`, or `no requests` in a quiet window. */
export function trafficText(summary: TrafficSummary): string {
  if (summary.requests === 0) return 'no requests';
  return [
    `${formatNumber(summary.requestRate)} req/s`,
    `${percent(summary.errorRate)} errors`,
    ...(summary.p50 !== null ? [`p50 ${milliseconds(summary.p50)}`] : []),
    ...(summary.p95 !== null ? [`p95 ${milliseconds(summary.p95)}`] : []),
  ].join(' · ');
}

/** `digits-logreg@3 80% · digits-logreg@4 20%` for a deployment split between two versions. */
export function splitText(backends: readonly Pick<Backend, 'digest' | 'labels' | 'weight'>[]): string {
  return backends
    .map(
      (b) =>
        `${b.labels?.[DEPLOYMENT_MODEL_VERSION_LABEL] ?? b.digest.replace(/^sha256:/, '').slice(0, 12)} ${b.weight}%`,
    )
    .join(' · ');
}
