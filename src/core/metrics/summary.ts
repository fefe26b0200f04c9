/** Running summary of one metric series, kept on ingest so tables never scan raw points. */
export interface MetricSummary {
  /** The latest value as logged (may be NaN or ±Infinity). */
  last: number;
  /** Smallest and largest non-NaN values; null while the series holds only NaN. */
  min: number | null;
  max: number | null;
  count: number;
  lastStep: number | null;
  lastTs: number;
}

export interface MetricPointInput {
  value: number;
  step: number | null;
  ts: number;
}

/** Appends `point` to `summary` in place (ingest's hot loop allocates nothing per point). */
export function appendToSummary(summary: MetricSummary, point: MetricPointInput): void {
  const { value } = point;
  if (!Number.isNaN(value)) {
    if (summary.min === null || value < summary.min) summary.min = value;
    if (summary.max === null || value > summary.max) summary.max = value;
  }
  summary.last = value;
  summary.count += 1;
  summary.lastStep = point.step;
  summary.lastTs = point.ts;
}

/** The summary after appending `point`. NaN never becomes min or max: one diverged step must not hide the rest. */
export function extendSummary(summary: MetricSummary | null, point: MetricPointInput): MetricSummary {
  const { value, step, ts } = point;
  const counts = !Number.isNaN(value);
  if (!summary) {
    return {
      last: value,
      min: counts ? value : null,
      max: counts ? value : null,
      count: 1,
      lastStep: step,
      lastTs: ts,
    };
  }
  return {
    last: value,
    min: counts && (summary.min === null || value < summary.min) ? value : summary.min,
    max: counts && (summary.max === null || value > summary.max) ? value : summary.max,
    count: summary.count + 1,
    lastStep: step,
    lastTs: ts,
  };
}
