/** Whether a metric is better small (a loss) or large (an accuracy). */
export type MetricDirection = 'min' | 'max';

/**
 * The one rule for which way a metric improves, judged by its name: loss-like names are minimised,
 * everything else maximised. The sidebar's best-first sort, Compare's best values, "Compare with
 * Best", the CLI and sweeps all start from it; the user can flip a metric where a view allows it.
 */
const MINIMISED =
  /(loss|err|error|mse|mae|rmse|nll|perplexity|ppl|wer|cer|latency|time|duration|cost|regret|distance)/i;

export function metricDirection(metricKey: string): MetricDirection {
  return MINIMISED.test(metricKey) ? 'min' : 'max';
}
