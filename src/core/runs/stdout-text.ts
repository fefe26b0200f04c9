import { isNameWord, isPossessive, metricName, namesMeasure, type MetricName } from './metric-names';
import { DURATION, NUMBER, parseNumber } from './printed-values';

/**
 * Reads one line of plain text (not a `{…}` mapping) for metrics: `key=value` and `key: value`
 * pairs, names of several words (`Validation score: 0.9`), percentages of named measures
 * (`Accuracy: 98%`), step markers (`epoch 3`, `Epoch [1/5], Step [100/600]`, `Iteration 12,`,
 * `Round 12`, XGBoost's and LightGBM's `[12]`) and the count of a tqdm bar.
 *
 * Prose must never turn into metrics, so the line is judged by what is left once pairs and step
 * markers are taken out: a line whose words are almost all consumed is metric-shaped. A line with
 * prose around a single pair counts only when the pair names a measure (`Loss: 0.000987 after 316
 * batches`): that is a summary, with no step.
 */

export interface PrintedPair {
  key: string;
  /** The name as printed, when it differs from the key (`Validation score` for `validation_score`). */
  label?: string;
  value: number;
}

export interface TextReading {
  pairs: PrintedPair[];
  /** The step the line itself names, or null. */
  step: number | null;
  /** The count of a tqdm bar (`| 90/200 [`, `90it [`), a step of last resort. */
  barCount: number | null;
  /**
   * `metrics`: a metric line; `step-header`: a line such as `Epoch 3/10` that sets the step of the
   * lines after it; `summary`: one named measure inside prose (no step); `none`: nothing to read.
   */
  kind: 'metrics' | 'step-header' | 'summary' | 'none';
}

const KEY = String.raw`[A-Za-z_]\w*(?:[./@-]\w+)*`;
/** A pair: key not glued to a path, flag or word before it; value not followed by a unit, `.`, `:` or `,digit`. */
const PAIR = new RegExp(String.raw`(?<![\w./'"-])(${KEY})\s*[=:]\s*(${NUMBER})(\s?%)?(?![\w.%:/]|,\d)`, 'g');
/** `Accuracy: 9890/10000 (99%)` (the PyTorch MNIST example): the exact percentage, 98.9. */
const FRACTION_PAIR = new RegExp(
  String.raw`(?<![\w./'"-])(${KEY})\s*:\s*(\d+)\s*/\s*(\d+)\s*\(\s*(?:${NUMBER})\s*%\s*\)`,
  'g',
);
const STEP_HEADER = new RegExp(
  String.raw`(?<![\w-])(epoch|global_step|step|iteration|iter|round)\b\s*[:=#]?\s*\[?\s*(\d+)(?:\s*/\s*(\d+))?\s*\]?(?![\w.])`,
  'gi',
);
/** `[12]` opening a line: a boosting round (XGBoost, LightGBM). */
const ROUND_MARKER = /^\[(\d+)\](?=\s|$)/;
const TQDM_COUNT = /\|\s*(\d+)\/\d+\s*\[|(?<![\w.])(\d+)it\s\[/;
/** A leading `Test set:` labels the pairs after it. */
const SECTION_LABEL = /^\s*[A-Za-z][A-Za-z]*(?: [A-Za-z]+){0,2}:(?=\s)/;
const EXEMPT_WORDS = new Set(['eta', 'info', 'debug', 'warning', 'warn', 'it/s', 's/it']);
/** Pairs a progress bar shows that are no metric: Lightning's logger version. */
const BAR_FIELDS = new Set(['v_num']);
/** Fills what has been read, so that it neither counts as words nor joins a name. */
const MASK = '\u0001';
const MAX_NAME_WORDS = 4;

interface FoundPair extends PrintedPair {
  measure: boolean;
  /** Where the pair's name starts: pairs are returned in the order they were printed. */
  at: number;
}

export function readTextLine(line: string): TextReading {
  let masked = line;
  let epoch: number | null = null;
  let step: { value: number; total: number | null } | null = null;
  for (const match of line.matchAll(STEP_HEADER)) {
    const name = (match[1] ?? '').toLowerCase();
    const value = Number.parseInt(match[2] ?? '', 10);
    const total = match[3] !== undefined ? Number.parseInt(match[3], 10) : null;
    if (name === 'epoch') epoch ??= value;
    else step ??= { value, total };
    masked = mask(masked, match.index, match[0].length);
  }
  const round = ROUND_MARKER.exec(masked);
  if (round) {
    step ??= { value: Number.parseInt(round[1] ?? '', 10), total: null };
    masked = mask(masked, 0, round[0].length);
  }
  const pairs: FoundPair[] = [];
  for (const match of masked.matchAll(FRACTION_PAIR)) {
    const name = nameBefore(masked, match.index, match[1] ?? '');
    if (!name.measure) continue;
    const value = (100 * Number(match[2])) / Number(match[3]);
    pairs.push({ ...name.metric, value, measure: true, at: name.start });
    masked = mask(masked, name.start, match.index + match[0].length - name.start);
  }
  for (const match of masked.matchAll(PAIR)) {
    const value = parseNumber(match[2] ?? '');
    if (value === null || !match[1]) continue;
    const name = nameBefore(masked, match.index, match[1]);
    // `Downloading: 45%` is progress, `Accuracy: 98%` a measure.
    if (match[3] !== undefined && !name.measure) continue;
    if (!BAR_FIELDS.has(match[1])) pairs.push({ ...name.metric, value, measure: name.measure, at: name.start });
    masked = mask(masked, name.start, match.index + match[0].length - name.start);
  }
  pairs.sort((a, b) => a.at - b.at);
  if (pairs.length > 0) {
    const label = SECTION_LABEL.exec(masked);
    if (label) masked = mask(masked, 0, label[0].length);
  }
  const words = countWords(masked);
  const stepValue = combineSteps(epoch, step);
  const count = TQDM_COUNT.exec(line);
  const barCount = count ? Number.parseInt(count[1] ?? count[2] ?? '', 10) : null;
  const found = pairs.map(({ key, label, value }) => (label ? { key, label, value } : { key, value }));
  if (pairs.length === 0) {
    const kind = stepValue !== null && words <= 2 ? 'step-header' : 'none';
    return { pairs: [], step: stepValue, barCount, kind };
  }
  const structure = pairs.length + (stepValue !== null ? 1 : 0);
  if (words === 0 || (structure >= 2 && words <= Math.min(2, structure - 1))) {
    return { pairs: found, step: stepValue, barCount, kind: 'metrics' };
  }
  if (pairs.length === 1 && pairs[0]?.measure) return { pairs: found, step: null, barCount: null, kind: 'summary' };
  return { pairs: [], step: null, barCount: null, kind: 'none' };
}

/**
 * The printed name that ends in `key` at `index`: up to three name words before it (separated by
 * spaces only, so tab-separated columns never merge) join the key when the phrase names a
 * measure (`Validation score`), or when a possessive introduces it (`valid_0's auc`).
 */
function nameBefore(text: string, index: number, key: string): { metric: MetricName; measure: boolean; start: number } {
  const words: Array<{ word: string; start: number }> = [];
  let end = index;
  while (words.length < MAX_NAME_WORDS - 1) {
    let wordEnd = end;
    while (wordEnd > 0 && text[wordEnd - 1] === ' ') wordEnd--;
    if (wordEnd === end || wordEnd === 0) break;
    const start = Math.max(text.lastIndexOf(' ', wordEnd - 1), text.lastIndexOf('\t', wordEnd - 1)) + 1;
    const word = text.slice(start, wordEnd);
    if (!isNameWord(word)) break;
    words.unshift({ word, start });
    end = start;
  }
  for (let first = 0; first < words.length; first++) {
    const phrase = [...words.slice(first).map(({ word }) => word), key];
    if (namesMeasure(phrase) || (phrase.length === 2 && isPossessive(phrase[0] ?? ''))) {
      return { metric: metricName(phrase.join(' ')), measure: true, start: words[first]?.start ?? index };
    }
  }
  return { metric: { key }, measure: namesMeasure([key]), start: index };
}

/**
 * `Epoch [2/5], Step [100/600]` counts steps within an epoch: it becomes the global step
 * (epoch − 1) × 600 + 100 so points of different epochs do not collide. A lone step or epoch is used as is.
 */
function combineSteps(epoch: number | null, step: { value: number; total: number | null } | null): number | null {
  if (step && epoch !== null && step.total !== null) return Math.max(epoch - 1, 0) * step.total + step.value;
  if (step) return step.value;
  return epoch;
}

function mask(text: string, index: number | undefined, length: number): string {
  const at = index ?? 0;
  return `${text.slice(0, at)}${MASK.repeat(length)}${text.slice(at + length)}`;
}

/** Words left once pairs and steps are gone; progress bars, counters, durations and log levels do not count. */
export function countWords(rest: string): number {
  let words = 0;
  // eslint-disable-next-line no-control-regex -- the mask character separates words like a space
  for (const token of rest.split(/[\s\u0001|,;()[\]{}<>]+/)) {
    const bare = token.replace(/^[^\w]+|[^\w/]+$/g, '');
    if (!/[A-Za-z]/.test(bare)) continue;
    if (DURATION.test(bare) || EXEMPT_WORDS.has(bare.toLowerCase())) continue;
    words++;
  }
  return words;
}
