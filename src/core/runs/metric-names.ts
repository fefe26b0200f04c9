/**
 * Names of metrics as training scripts print them. Single-token names (`loss`, `val_acc`,
 * `validation_0-logloss`, `Loss`) are kept exactly as printed, so the series of runs recorded
 * before multi-word names were understood keep their keys. A name of several words
 * (`Validation score`, `Avg. loss`, `valid_0's auc`) becomes one stable key, lowercased and
 * joined by `_` (`validation_score`, `avg_loss`, `valid_0_auc`); the printed words are kept as
 * the metric's label for display.
 *
 * Several words only count as one name when they end in a word that names a measure (the
 * vocabulary below): "Validation score: 0.9" is a metric, "Using device: 0" is prose.
 */

/** Last words that make a phrase a metric name (lowercase; `avg.` style dots are stripped first). */
const MEASURE_WORDS = new Set([
  'loss',
  'losses',
  'acc',
  'accuracy',
  'error',
  'err',
  'score',
  'f1',
  'auc',
  'roc',
  'precision',
  'recall',
  'perplexity',
  'ppl',
  'mae',
  'mse',
  'rmse',
  'r2',
  'bleu',
  'rouge',
  'reward',
  'return',
  'iou',
  'miou',
  'map',
  'dice',
  'entropy',
  'nll',
  'kl',
  'top1',
  'top5',
  'wer',
  'cer',
  'psnr',
  'ssim',
  'fid',
  'logloss',
  'deviance',
  'likelihood',
  'inertia',
  'lr',
  'objective',
  'norm',
  'kappa',
  'mcc',
]);

/** Two-word measures whose last word alone names no measure. */
const MEASURE_PHRASES = new Set(['learning rate']);

/** Never part of a multi-word name: log levels (as loggers print them) and logger names sit before names. */
const LOG_LEVEL = /^(?:INFO|DEBUG|WARNING|WARN|ERROR|CRITICAL|FATAL|TRACE)$/;
const NOT_NAME_WORDS = new Set(['root', 'eta', 'and', 'or', 'of', 'the', 'is', 'at', 'in', 'on', 'to', 'for']);

/** A word that may start or continue a printed metric name: `Avg.`, `val`, `valid_0's`, `top-1`. */
const NAME_WORD = /^[A-Za-z][\w@-]*(?:'s|\.)?$/;

function bare(word: string): string {
  return word.replace(/'s$/, '').replace(/\.$/, '').toLowerCase();
}

/** True when `words` (as printed, in order) name a measure by their last word or last two words. */
export function namesMeasure(words: readonly string[]): boolean {
  const last = words.at(-1);
  if (last === undefined) return false;
  if (MEASURE_WORDS.has(bare(last))) return true;
  if (words.length >= 2) return MEASURE_PHRASES.has(`${bare(words.at(-2) ?? '')} ${bare(last)}`);
  return false;
}

/** True for a word that can be part of a multi-word metric name. */
export function isNameWord(word: string): boolean {
  return NAME_WORD.test(word) && !LOG_LEVEL.test(word) && !NOT_NAME_WORDS.has(word.toLowerCase());
}

/** A possessive (`valid_0's`) introduces the data set a metric is about (LightGBM's `valid_0's auc`). */
export function isPossessive(word: string): boolean {
  return /^[A-Za-z][\w-]*'s$/.test(word);
}

export interface MetricName {
  key: string;
  /** The name as printed, when it differs from the key. */
  label?: string;
}

/** The stable key of a printed name of one or more whitespace-separated words. */
export function metricName(printed: string): MetricName {
  const words = printed.trim().split(/\s+/);
  if (words.length === 1) return { key: words[0] ?? printed };
  const key = words
    .map(bare)
    .filter((word) => word.length > 0)
    .join('_');
  return { key, label: words.join(' ') };
}
