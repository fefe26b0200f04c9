/**
 * Finds the lines of a training script that log metrics, and which metric keys each line logs,
 * so the editor can put a sparkline beside them. Recognises client calls (Trackside's and the
 * MLflow / W&B / TensorBoard names people already use) and print statements whose text the
 * stdout parser turns into metrics (`loss=…`, `loss: …`).
 */

export interface MetricLine {
  /** Zero-based line number. */
  line: number;
  keys: string[];
}

const KEY = String.raw`[A-Za-z_][\w./-]*`;
const QUOTED_KEY = new RegExp(String.raw`^\s*(?:f|r|u|b)?(['"])(${KEY})\1`);

/** `log_metric("loss", …)`, `mlflow.log_metric('loss'`, `writer.add_scalar("train/loss", …)`. */
const SINGLE_KEY_CALL = /\b(?:log_metric|logMetric|add_scalar)\s*\(/g;
/** `log_metrics({"loss": …})`, `wandb.log({"loss": …})`, `ts.log({...})`. */
const DICT_CALL = /\b(?:log_metrics|logMetrics|log)\s*\(\s*\{/g;
/** `ts.log(loss=…, acc=…)`: keyword arguments of the short form. */
const KEYWORD_CALL = /\b(?:ts|trackside)\.log\s*\(([^{)][^)]*)\)/g;
const PRINT_CALL = /\b(?:print|logger\.\w+|logging\.\w+|log\.\w+|tqdm\.write)\s*\(/g;

const NOT_METRIC_KEYWORDS = new Set(['step', 'epoch', 'commit', 'sync', 'ts', 'timestamp']);

export function findMetricLines(source: string): MetricLine[] {
  const result: MetricLine[] = [];
  const lines = source.split(/\r?\n/);
  /** Brace depth inside a dict literal of a metrics call that spans lines (0: not inside one). */
  let dictDepth = 0;
  /** A metrics call whose `(` closed its line without a `{` yet: the dict may open on the next one. */
  let awaitingDict = false;
  lines.forEach((text, line) => {
    const code = stripComment(text);
    if (!code.trim()) return;
    const keys = new Set<string>();
    if (dictDepth > 0 || (awaitingDict && code.trimStart().startsWith('{'))) {
      // One key per line, as formatters write a long log_metrics({...}): each line gets its own chart.
      const body = dictDepth > 0 ? code : code.slice(code.indexOf('{') + 1);
      if (dictDepth === 0) dictDepth = 1;
      if (dictDepth === 1) for (const key of dictLiteralKeys(body)) keys.add(key);
      dictDepth = depthAfter(body, dictDepth);
      awaitingDict = false;
    } else {
      awaitingDict = false;
      for (const match of code.matchAll(SINGLE_KEY_CALL)) {
        const key = QUOTED_KEY.exec(code.slice(match.index + match[0].length))?.[2];
        if (key) keys.add(key);
      }
      for (const match of code.matchAll(DICT_CALL)) {
        const rest = code.slice(match.index + match[0].length);
        for (const key of dictLiteralKeys(rest)) keys.add(key);
        dictDepth = depthAfter(rest, 1);
      }
      if (/\b(?:log_metrics|logMetrics|(?:ts|trackside|wandb)\.log)\s*\(\s*$/.test(code)) awaitingDict = true;
      for (const match of code.matchAll(KEYWORD_CALL)) {
        for (const kw of (match[1] ?? '').matchAll(/(?:^|,)\s*([A-Za-z_]\w*)\s*=(?!=)/g)) {
          if (kw[1] && !NOT_METRIC_KEYWORDS.has(kw[1])) keys.add(kw[1]);
        }
      }
      for (const match of code.matchAll(PRINT_CALL)) {
        for (const key of printedPairs(code.slice(match.index + match[0].length))) keys.add(key);
      }
    }
    if (keys.size > 0) result.push({ line, keys: [...keys] });
  });
  return result;
}

/** The brace depth after `text`, starting at `depth` (strings are not parsed: keys and values rarely hold braces). */
function depthAfter(text: string, depth: number): number {
  let d = depth;
  for (const c of text) {
    if (c === '{') d++;
    else if (c === '}' && --d === 0) return 0;
  }
  return d;
}

/** Drops a trailing `# comment` that is not inside a string. */
function stripComment(text: string): string {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return text.slice(0, i);
  }
  return text;
}

function dictLiteralKeys(rest: string): string[] {
  const body = rest.slice(0, closingBrace(rest));
  return [...body.matchAll(new RegExp(String.raw`(['"])(${KEY})\1\s*:`, 'g'))].map((m) => m[2]!);
}

function closingBrace(text: string): number {
  let depth = 1;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return text.length;
}

/**
 * Keys printed as `key=value` / `key: value` inside the string literals of a print call, where the
 * value is a placeholder or a number — what the stdout parser will pick up at run time.
 */
function printedPairs(rest: string): string[] {
  const keys: string[] = [];
  for (const literal of rest.matchAll(/(?:f|rf|fr)?(['"])((?:\\.|(?!\1).)*)\1/g)) {
    const text = literal[2] ?? '';
    const pairs = new RegExp(String.raw`(?:^|[\s,|(\[])(${KEY})\s*[=:]\s*(?=\{|%|[-+]?\d|$)`, 'g');
    for (const pair of text.matchAll(pairs)) {
      const key = pair[1]!;
      if (!NOT_METRIC_KEYWORDS.has(key.toLowerCase())) keys.push(key);
    }
  }
  return keys;
}
