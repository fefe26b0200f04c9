import { chiSquareContingency } from './chi-square';
import { ksTwoSample } from './ks-test';

/**
 * Per-feature drift statistics between a reference sample (the training data) and a live one (what
 * the deployment was asked): PSI over ten quantile bins of the reference, the two-sample
 * Kolmogorov–Smirnov test for numeric features, Pearson's χ² for categorical ones, and histograms of
 * both samples on the same bins for charts.
 */

export interface DriftThresholds {
  /** A feature drifted when its test's p-value is below this (default 0.05). */
  pValue: number;
  /** PSI at or above this is a warning (default 0.1)… */
  psiWarn: number;
  /** …and at or above this an alert (default 0.2). */
  psiAlert: number;
  /** The data set drifted when at least this share of its features did (default 0.5, as Evidently). */
  datasetShare: number;
}

export const DEFAULT_THRESHOLDS: DriftThresholds = { pValue: 0.05, psiWarn: 0.1, psiAlert: 0.2, datasetShare: 0.5 };

/** Stands in for an empty bin's share, so PSI stays finite (ln 0); the report names the bins it filled. */
export const PSI_EPSILON = 1e-4;
const PSI_BINS = 10;
const HISTOGRAM_BINS = 20;
const MAX_CATEGORIES = 30;
export const OTHER_CATEGORY = '(other)';

export interface PsiResult {
  value: number;
  level: 'ok' | 'warn' | 'alert';
  /** Inner bin edges (bins are (−∞, e₀], (e₀, e₁], …, (eₖ, ∞)); for a categorical feature, the categories. */
  bins: (number | string)[];
  reference: number[];
  live: number[];
  epsilon: number;
  /** Bins with no value, whose share was taken as `epsilon`. */
  emptyBins: { reference: number[]; live: number[] };
}

export type Histogram =
  | { kind: 'numeric'; edges: number[]; reference: number[]; live: number[] }
  | { kind: 'categorical'; categories: string[]; reference: number[]; live: number[] };

export interface FeatureTest {
  name: 'ks' | 'chi2';
  statistic: number;
  pValue: number;
  /** KS: exact or asymptotic p-value; χ²: its degrees of freedom. */
  method?: 'exact' | 'asymp';
  dof?: number;
}

export interface FeatureDrift {
  name: string;
  kind: 'numeric' | 'categorical';
  referenceCount: number;
  liveCount: number;
  /** Missing values (empty cells, NaN) left out of both samples. */
  missing: { reference: number; live: number };
  test: FeatureTest;
  drifted: boolean;
  psi: PsiResult;
  histogram: Histogram;
}

/** numpy.quantile(sorted, q) with its default "linear" method, rounding as numpy's _lerp does. */
export function quantileOfSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const virtual = (n - 1) * q;
  const previous = Math.min(Math.max(Math.floor(virtual), 0), n - 1);
  const next = Math.min(previous + 1, n - 1);
  const gamma = virtual - previous;
  const a = sorted[previous]!;
  const b = sorted[next]!;
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/** The reference's deciles, duplicates dropped (a column with many equal values has fewer bins). */
export function psiEdges(referenceSorted: Float64Array): number[] {
  const edges: number[] = [];
  for (let i = 1; i < PSI_BINS; i++) {
    const edge = quantileOfSorted(referenceSorted, i / PSI_BINS);
    if (edges.length === 0 || edge !== edges[edges.length - 1]) edges.push(edge);
  }
  return edges;
}

/** Counts of a sample in the bins (−∞, e₀], (e₀, e₁], …, (eₖ, ∞), as numpy.searchsorted(edges, v, "left") bins. */
function binCounts(values: Float64Array, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    let bin = 0;
    while (bin < edges.length && value > edges[bin]!) bin++;
    counts[bin]!++;
  }
  return counts;
}

function psiLevel(value: number, thresholds: DriftThresholds): PsiResult['level'] {
  return value >= thresholds.psiAlert ? 'alert' : value >= thresholds.psiWarn ? 'warn' : 'ok';
}

/** PSI = Σ (live − ref) · ln(live / ref) over shares of the same bins; empty bins count as `PSI_EPSILON`. */
export function psiFromCounts(
  bins: (number | string)[],
  reference: number[],
  live: number[],
  thresholds: DriftThresholds = DEFAULT_THRESHOLDS,
): PsiResult {
  const refTotal = reference.reduce((s, v) => s + v, 0);
  const liveTotal = live.reduce((s, v) => s + v, 0);
  const emptyBins = { reference: [] as number[], live: [] as number[] };
  let value = 0;
  for (let i = 0; i < reference.length; i++) {
    let r = reference[i]! / refTotal;
    let l = live[i]! / liveTotal;
    if (r === 0) {
      r = PSI_EPSILON;
      emptyBins.reference.push(i);
    }
    if (l === 0) {
      l = PSI_EPSILON;
      emptyBins.live.push(i);
    }
    value += (l - r) * Math.log(l / r);
  }
  return { value, level: psiLevel(value, thresholds), bins, reference, live, epsilon: PSI_EPSILON, emptyBins };
}

/** Equal-width bins over the range both samples cover, for a chart of the two distributions. */
function numericHistogram(referenceSorted: Float64Array, live: Float64Array): Histogram {
  let min = referenceSorted[0]!;
  let max = referenceSorted[referenceSorted.length - 1]!;
  for (let i = 0; i < live.length; i++) {
    if (live[i]! < min) min = live[i]!;
    if (live[i]! > max) max = live[i]!;
  }
  const bins = max > min ? HISTOGRAM_BINS : 1;
  const width = (max - min) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : min + i * width));
  const count = (values: Float64Array) => {
    const counts = new Array<number>(bins).fill(0);
    for (let i = 0; i < values.length; i++) {
      counts[width > 0 ? Math.min(bins - 1, Math.floor((values[i]! - min) / width)) : 0]!++;
    }
    return counts;
  };
  return { kind: 'numeric', edges, reference: count(referenceSorted), live: count(live) };
}

/** A column's values without NaN (a missing value), in their order, and how many were missing. */
export function presentValues(values: Float64Array | readonly number[]): { values: Float64Array; missing: number } {
  const present = new Float64Array(values.length);
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!Number.isNaN(value)) present[count++] = value;
  }
  return { values: present.subarray(0, count), missing: values.length - count };
}

/** The reference sample sorted, which the quantile bins and the KS statistic read it as. */
export function sortedPresent(values: Float64Array | readonly number[]): { values: Float64Array; missing: number } {
  const present = presentValues(values);
  return { values: present.values.sort(), missing: present.missing };
}

/**
 * A numeric feature's drift. The reference must be sorted (see sortedPresent); the live sample, the
 * large one, is read in any order, so no report ever sorts a hundred thousand live values.
 */
export function numericDrift(
  name: string,
  reference: { values: Float64Array; missing: number },
  live: { values: Float64Array; missing: number },
  thresholds: DriftThresholds = DEFAULT_THRESHOLDS,
): FeatureDrift {
  const ks = ksTwoSample(reference.values, live.values);
  const edges = psiEdges(reference.values);
  return {
    name,
    kind: 'numeric',
    referenceCount: reference.values.length,
    liveCount: live.values.length,
    missing: { reference: reference.missing, live: live.missing },
    test: { name: 'ks', statistic: ks.statistic, pValue: ks.pValue, method: ks.method },
    drifted: ks.pValue < thresholds.pValue,
    psi: psiFromCounts(edges, binCounts(reference.values, edges), binCounts(live.values, edges), thresholds),
    histogram: numericHistogram(reference.values, live.values),
  };
}

function countCategories(values: readonly (string | null)[]): { counts: Map<string, number>; missing: number } {
  const counts = new Map<string, number>();
  let missing = 0;
  for (const value of values) {
    if (value === null) missing++;
    else counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return { counts, missing };
}

/** Categories are compared as text; `null` is a missing value. */
export function categoricalDrift(
  name: string,
  referenceValues: readonly (string | null)[],
  liveValues: readonly (string | null)[],
  thresholds: DriftThresholds = DEFAULT_THRESHOLDS,
): FeatureDrift {
  const reference = countCategories(referenceValues);
  const live = countCategories(liveValues);
  const categories = [...new Set([...reference.counts.keys(), ...live.counts.keys()])].sort();
  const refCounts = categories.map((c) => reference.counts.get(c) ?? 0);
  const liveCounts = categories.map((c) => live.counts.get(c) ?? 0);
  const chi2 = chiSquareContingency([refCounts, liveCounts]);
  // The chart shows the most frequent categories of the reference; the rest go into one bar.
  const shown = [...categories]
    .sort((a, b) => (reference.counts.get(b) ?? 0) - (reference.counts.get(a) ?? 0) || (a < b ? -1 : 1))
    .slice(0, MAX_CATEGORIES);
  const rest = categories.length > shown.length;
  const histogramOf = (counts: Map<string, number>) => {
    const bars = shown.map((c) => counts.get(c) ?? 0);
    if (rest) bars.push([...counts.entries()].filter(([c]) => !shown.includes(c)).reduce((s, [, v]) => s + v, 0));
    return bars;
  };
  return {
    name,
    kind: 'categorical',
    referenceCount: referenceValues.length - reference.missing,
    liveCount: liveValues.length - live.missing,
    missing: { reference: reference.missing, live: live.missing },
    test: { name: 'chi2', statistic: chi2.statistic, pValue: chi2.pValue, dof: chi2.dof },
    drifted: chi2.pValue < thresholds.pValue,
    psi: psiFromCounts(categories, refCounts, liveCounts, thresholds),
    histogram: {
      kind: 'categorical',
      categories: rest ? [...shown, OTHER_CATEGORY] : shown,
      reference: histogramOf(reference.counts),
      live: histogramOf(live.counts),
    },
  };
}
