import { MonitoringError } from './errors';

/**
 * A deployment's `/metrics` (Prometheus text format, from serve.py or, in front of a split, router.py)
 * read into counters per model version, and the rates and latency quantiles between two readings —
 * what a chart of request rate, error rate and p50/p95 latency over time plots.
 */

export interface LatencyHistogram {
  /** Cumulative counts by upper bound in seconds, ending with Infinity. */
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
}

export interface VersionMetrics {
  model: string;
  version: string;
  requests: number;
  errors: number;
  latency: LatencyHistogram;
}

export interface RouteWeight {
  slot: string;
  version: string;
  weight: number;
}

export interface MetricsSnapshot {
  /** When it was read (ms since the epoch). */
  at: number;
  versions: VersionMetrics[];
  /** A router's share per backend; empty for a single model server. */
  routes: RouteWeight[];
}

export interface MetricsWindow {
  model: string;
  version: string;
  from: number;
  to: number;
  requests: number;
  errors: number;
  /** Requests per second. */
  requestRate: number;
  /** Share of requests answered with an error, 0–1 (0 when there were none). */
  errorRate: number;
  /** Seconds; null without requests in the window. */
  p50: number | null;
  p95: number | null;
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    if (match[2]) {
      LABEL.lastIndex = 0;
      for (let m = LABEL.exec(match[2]); m; m = LABEL.exec(match[2])) {
        labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      }
    }
    samples.push({ name: match[1]!, labels, value: parseValue(match[3]!) });
  }
  return samples;
}

export function parseMetrics(text: string, at = Date.now()): MetricsSnapshot {
  const byVersion = new Map<string, VersionMetrics>();
  const entry = (labels: Record<string, string>) => {
    const model = labels.model ?? '';
    const version = labels.version ?? '';
    const key = `${model}\u0000${version}`;
    let found = byVersion.get(key);
    if (!found) {
      found = { model, version, requests: 0, errors: 0, latency: { buckets: [], sum: 0, count: 0 } };
      byVersion.set(key, found);
    }
    return found;
  };
  const routes: RouteWeight[] = [];
  for (const { name, labels, value } of parseSamples(text)) {
    switch (name) {
      case 'trackside_requests_total':
        entry(labels).requests = value;
        break;
      case 'trackside_request_errors_total':
        entry(labels).errors = value;
        break;
      case 'trackside_request_duration_seconds_bucket':
        entry(labels).latency.buckets.push({ le: parseValue(labels.le ?? '+Inf'), count: value });
        break;
      case 'trackside_request_duration_seconds_sum':
        entry(labels).latency.sum = value;
        break;
      case 'trackside_request_duration_seconds_count':
        entry(labels).latency.count = value;
        break;
      case 'trackside_route_weight':
        routes.push({ slot: labels.slot ?? '', version: labels.version ?? '', weight: value });
        break;
    }
  }
  for (const metrics of byVersion.values()) metrics.latency.buckets.sort((a, b) => a.le - b.le);
  return { at, versions: [...byVersion.values()], routes };
}

/** Reads a deployment's /metrics; `token` is its bearer token, when it has one. */
export async function scrapeMetrics(
  endpoint: string,
  options: { token?: string; signal?: AbortSignal } = {},
): Promise<MetricsSnapshot> {
  const timeout = AbortSignal.timeout(10_000);
  let response: Response;
  try {
    response = await fetch(new URL('/metrics', endpoint), {
      headers: options.token ? { Authorization: `Bearer ${options.token}` } : {},
      signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
    });
  } catch (error) {
    throw new MonitoringError('unreachable', `cannot read ${endpoint}/metrics: ${String(error)}`, { cause: error });
  }
  const text = await response.text();
  if (!response.ok) throw new MonitoringError('unreachable', `${endpoint}/metrics answered ${response.status}`);
  return parseMetrics(text);
}

/**
 * The q-quantile of a window's latency, interpolated within its bucket as Prometheus'
 * histogram_quantile does; in the +Inf bucket, the highest finite bound.
 */
export function histogramQuantile(q: number, buckets: readonly { le: number; count: number }[]): number | null {
  const total = buckets[buckets.length - 1]?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      if (bucket.le === Infinity) return lowerBound;
      const inBucket = bucket.count - lowerCount;
      return inBucket <= 0 ? bucket.le : lowerBound + ((bucket.le - lowerBound) * (rank - lowerCount)) / inBucket;
    }
    lowerBound = bucket.le;
    lowerCount = bucket.count;
  }
  return lowerBound;
}

/** A counter's increase; a smaller later value means the server restarted and counted from zero. */
function increase(earlier: number, later: number): number {
  return later >= earlier ? later - earlier : later;
}

/** Rates and latency quantiles per version between two readings of the same deployment. */
export function windowBetween(earlier: MetricsSnapshot, later: MetricsSnapshot): MetricsWindow[] {
  const seconds = Math.max((later.at - earlier.at) / 1000, 1e-9);
  return later.versions.map((now) => {
    const before = earlier.versions.find((v) => v.model === now.model && v.version === now.version);
    const restarted = before !== undefined && now.requests < before.requests;
    const base = before && !restarted ? before : undefined;
    const requests = increase(base?.requests ?? 0, now.requests);
    const errors = increase(base?.errors ?? 0, now.errors);
    const buckets = now.latency.buckets.map((bucket) => ({
      le: bucket.le,
      count: bucket.count - (base?.latency.buckets.find((b) => b.le === bucket.le)?.count ?? 0),
    }));
    return {
      model: now.model,
      version: now.version,
      from: earlier.at,
      to: later.at,
      requests,
      errors,
      requestRate: requests / seconds,
      errorRate: requests > 0 ? errors / requests : 0,
      p50: histogramQuantile(0.5, buckets),
      p95: histogramQuantile(0.95, buckets),
    };
  });
}

/**
 * Readings of one deployment over time (the editor adds one every few seconds), kept up to a
 * limit, and the windows between consecutive readings: the points of its time series.
 */
export class MetricsHistory {
  private readonly snapshots: MetricsSnapshot[] = [];

  constructor(private readonly limit = 720) {}

  add(snapshot: MetricsSnapshot): MetricsWindow[] {
    const previous = this.snapshots[this.snapshots.length - 1];
    this.snapshots.push(snapshot);
    if (this.snapshots.length > this.limit) this.snapshots.shift();
    return previous ? windowBetween(previous, snapshot) : [];
  }

  /** Every window so far, oldest first, each version's points in turn. */
  series(): MetricsWindow[] {
    const windows: MetricsWindow[] = [];
    for (let i = 1; i < this.snapshots.length; i++)
      windows.push(...windowBetween(this.snapshots[i - 1]!, this.snapshots[i]!));
    return windows;
  }

  get latest(): MetricsSnapshot | undefined {
    return this.snapshots[this.snapshots.length - 1];
  }
}
