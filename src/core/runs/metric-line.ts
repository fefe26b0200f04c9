import type { MetricEvent } from './protocol';

/**
 * Metric lines are nearly all of a run's events, and the clients write them compactly
 * (`{"type":"metric","key":"loss","value":0.5,"ts":1735689600.1,"step":3}`, fields in any order).
 * Reading such a line here, without JSON.parse and the intermediate object, is several times faster.
 *
 * This reader only ever gives the answer MetricEventSchema would give: it accepts exactly the compact
 * lines whose every field it can check as the schema does, and returns null for anything else — other
 * event types, whitespace between tokens, escapes in strings, string values ("NaN"), unknown or
 * repeated fields — which then go through JSON.parse and the schema, which have the last word.
 */

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

const TYPE = 1;
const KEY = 2;
const VALUE = 4;
const STEP = 8;
const TS = 16;
const REQUIRED = TYPE | KEY | VALUE | TS;

/** The schema's bounds on a metric key. */
const KEY_MIN_LENGTH = 1;
const KEY_MAX_LENGTH = 250;

function isDigit(code: number): boolean {
  return code >= ZERO && code <= NINE;
}

/** Exact powers of ten: a double holds 10^k exactly up to k = 22. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** The value of the number `numberEnd` last read. */
let numberValue = 0;

/**
 * The end of the JSON number starting at `start` (RFC 8259 grammar), or -1 when there is none; its
 * value is left in `numberValue`. A number of at most 2^53 digits-as-integer with at most 22 decimals
 * and no exponent is an integer divided by an exact power of ten: one correctly rounded division,
 * so the same double as Number() gives, without cutting the text out. Others go through Number().
 */
function numberEnd(text: string, start: number, end: number): number {
  let i = start;
  let negative = false;
  if (i < end && text.charCodeAt(i) === MINUS) {
    negative = true;
    i++;
  }
  if (i >= end) return -1;
  let mantissa = 0;
  let decimals = 0;
  let exact = true;
  const first = text.charCodeAt(i);
  if (first === ZERO) {
    i++;
  } else if (first > ZERO && first <= NINE) {
    while (i < end) {
      const code = text.charCodeAt(i);
      if (!isDigit(code)) break;
      mantissa = mantissa * 10 + (code - ZERO);
      i++;
    }
  } else {
    return -1;
  }
  if (i < end && text.charCodeAt(i) === DOT) {
    i++;
    if (i >= end || !isDigit(text.charCodeAt(i))) return -1;
    while (i < end) {
      const code = text.charCodeAt(i);
      if (!isDigit(code)) break;
      mantissa = mantissa * 10 + (code - ZERO);
      decimals++;
      i++;
    }
  }
  if (i < end && (text.charCodeAt(i) === LOWER_E || text.charCodeAt(i) === UPPER_E)) {
    exact = false;
    i++;
    if (i < end && (text.charCodeAt(i) === PLUS || text.charCodeAt(i) === MINUS)) i++;
    if (i >= end || !isDigit(text.charCodeAt(i))) return -1;
    while (i < end && isDigit(text.charCodeAt(i))) i++;
  }
  // Past 2^53 the running mantissa may have been rounded along the way.
  if (exact && mantissa <= Number.MAX_SAFE_INTEGER && decimals < POWERS_OF_TEN.length) {
    const magnitude = decimals === 0 ? mantissa : mantissa / (POWERS_OF_TEN[decimals] as number);
    numberValue = negative ? -magnitude : magnitude;
  } else {
    numberValue = Number(text.slice(start, i));
  }
  return i;
}

/** Which metric field the name between `start` and `end` (quotes excluded) is; 0 for any other. */
function fieldOf(text: string, start: number, end: number): number {
  switch (end - start) {
    case 2:
      return text.startsWith('ts', start) ? TS : 0;
    case 3:
      return text.startsWith('key', start) ? KEY : 0;
    case 4:
      if (text.startsWith('type', start)) return TYPE;
      return text.startsWith('step', start) ? STEP : 0;
    case 5:
      return text.startsWith('value', start) ? VALUE : 0;
    default:
      return 0;
  }
}

/**
 * The metric event of the line `text[start, end)` (no newline), or null when this reader does not
 * take the line (see above): null never means the line is invalid, only that it needs the full parse.
 */
export function readCompactMetricLine(text: string, start: number, end: number): MetricEvent | null {
  if (end - start < 2 || text.charCodeAt(start) !== OPEN_BRACE) return null;
  let seen = 0;
  let key = '';
  let value = 0;
  let step: number | null | undefined;
  let ts = 0;
  let i = start + 1;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return null;
    const nameEnd = text.indexOf('"', i + 1);
    if (nameEnd < 0 || nameEnd >= end || text.charCodeAt(nameEnd + 1) !== COLON) return null;
    const field = fieldOf(text, i + 1, nameEnd);
    if (field === 0 || (seen & field) !== 0) return null;
    seen |= field;
    i = nameEnd + 2;
    if (field === TYPE) {
      if (!text.startsWith('"metric"', i)) return null;
      i += 8;
    } else if (field === KEY) {
      if (text.charCodeAt(i) !== QUOTE) return null;
      const keyEnd = text.indexOf('"', i + 1);
      if (keyEnd < 0 || keyEnd >= end) return null;
      // Escapes and raw control characters are left to JSON.parse (which rejects the latter).
      for (let c = i + 1; c < keyEnd; c++) {
        const code = text.charCodeAt(c);
        if (code === BACKSLASH || code < 0x20) return null;
      }
      key = text.slice(i + 1, keyEnd);
      i = keyEnd + 1;
    } else if (field === STEP && text.startsWith('null', i)) {
      step = null;
      i += 4;
    } else {
      const numberStop = numberEnd(text, i, end);
      if (numberStop < 0) return null;
      const number = numberValue;
      if (field === VALUE) value = number;
      else if (field === TS) ts = number;
      else step = number;
      i = numberStop;
    }
    const next = text.charCodeAt(i);
    if (next === COMMA) {
      i++;
      continue;
    }
    if (next === CLOSE_BRACE && i + 1 === end) break;
    return null;
  }
  if ((seen & REQUIRED) !== REQUIRED) return null;
  if (key.length < KEY_MIN_LENGTH || key.length > KEY_MAX_LENGTH) return null;
  // A number too large for a double reads as Infinity, which the schema (like JSON itself) rejects.
  if (!Number.isFinite(value) || !Number.isFinite(ts)) return null;
  if (step === undefined) return { type: 'metric', key, value, ts };
  if (step !== null && !Number.isSafeInteger(step)) return null;
  return { type: 'metric', key, value, step, ts };
}
