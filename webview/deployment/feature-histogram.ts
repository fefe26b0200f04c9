import { svg, type TemplateResult } from 'lit';
import { formatNumber } from '../../src/core/format/numbers';
import type { FeatureDrift } from '../../src/core/monitoring/drift';

/**
 * A feature's reference and live distributions as one small inline SVG per table row: the
 * reference's share of each bin as a wide bar, the live share as a narrow one in front of it, a
 * tooltip per bin. Drawn by Lit rather than vega: a report may have hundreds of features, and a vega
 * view per row would cost the interpreter seconds.
 */

export const HISTOGRAM_WIDTH = 168;
export const HISTOGRAM_HEIGHT = 34;

export interface HistogramBin {
  label: string;
  reference: number;
  live: number;
}

function shares(counts: readonly number[]): number[] {
  const total = counts.reduce((sum, c) => sum + c, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
}

const percent = (share: number) => `${formatNumber(Number((share * 100).toFixed(2)))} %`;

/** Each bin's label and the two samples' shares of it. */
export function histogramBins(histogram: FeatureDrift['histogram']): HistogramBin[] {
  const reference = shares(histogram.reference);
  const live = shares(histogram.live);
  const labels =
    histogram.kind === 'categorical'
      ? histogram.categories
      : histogram.reference.map((_, i) => {
          const last = i === histogram.reference.length - 1;
          return `[${formatNumber(histogram.edges[i])}, ${formatNumber(histogram.edges[i + 1])}${last ? ']' : ')'}`;
        });
  return labels.map((label, i) => ({ label, reference: reference[i] ?? 0, live: live[i] ?? 0 }));
}

export function histogramSvg(feature: FeatureDrift): TemplateResult {
  const bins = histogramBins(feature.histogram);
  const top = Math.max(1e-9, ...bins.map((b) => Math.max(b.reference, b.live)));
  const step = HISTOGRAM_WIDTH / Math.max(1, bins.length);
  const height = (share: number) => Math.max(share > 0 ? 1 : 0, (share / top) * (HISTOGRAM_HEIGHT - 2));
  return svg`<svg
    class="histogram"
    width=${HISTOGRAM_WIDTH}
    height=${HISTOGRAM_HEIGHT}
    viewBox="0 0 ${HISTOGRAM_WIDTH} ${HISTOGRAM_HEIGHT}"
    role="img"
    aria-label="reference and live distribution"
  >
    <line class="axis" x1="0" x2=${HISTOGRAM_WIDTH} y1=${HISTOGRAM_HEIGHT - 0.5} y2=${HISTOGRAM_HEIGHT - 0.5}></line>
    ${bins.map((bin, i) => {
      const x = i * step;
      const ref = height(bin.reference);
      const live = height(bin.live);
      return svg`<g class="bin">
        <title>${bin.label}&#10;reference ${percent(bin.reference)}&#10;live ${percent(bin.live)}</title>
        <rect class="hit" x=${x} y="0" width=${step} height=${HISTOGRAM_HEIGHT}></rect>
        <rect class="ref" x=${x + 0.5} y=${HISTOGRAM_HEIGHT - 1 - ref} width=${Math.max(0.5, step - 1)} height=${ref}></rect>
        <rect class="live" x=${x + step * 0.3} y=${HISTOGRAM_HEIGHT - 1 - live} width=${Math.max(0.5, step * 0.4)} height=${live}></rect>
      </g>`;
    })}
  </svg>`;
}
