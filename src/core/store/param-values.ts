import type { ParamValue } from '../runs/protocol';

/**
 * How the index stores a param: its text as given, and its number when it reads as one (so params
 * sort and filter numerically). The number is always derived from the value by these rules, which
 * lets a reader that has only the text and the value's JSON type get it back exactly.
 */
export function paramColumns(value: ParamValue): [string | null, number | null] {
  if (value === null) return [null, null];
  if (typeof value === 'number') return [String(value), Number.isFinite(value) ? value : null];
  if (typeof value === 'boolean') return [String(value), value ? 1 : 0];
  return [value, numberOfParamText(value)];
}

/**
 * The number of a param given as text, or of a number param's text (a number's text is its shortest
 * round-trip form, so this is the number itself).
 */
export function numberOfParamText(text: string): number | null {
  const trimmed = text.trim();
  const asNumber = trimmed === '' ? Number.NaN : Number(trimmed);
  return Number.isFinite(asNumber) ? asNumber : null;
}
