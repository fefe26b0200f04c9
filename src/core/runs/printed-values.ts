/** Numbers, durations and terminal control text as training output prints them. */

/** A printed number: decimals, exponents, NaN and infinities as Python and C print them. */
export const NUMBER = String.raw`[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:[Nn]a[Nn]|[Ii]nf(?:inity)?)`;

const WHOLE_NUMBER = new RegExp(`^(?:${NUMBER})$`);

/** `0.35s`, `12ms`, `2ms/step`, `9.50it/s`: a time or a rate, never a metric value on its own. */
export const DURATION = /^[\d.]+(?:ns|us|µs|ms|s|m|h|min|it|b|kb|mb|gb)?(?:\/(?:step|it|epoch|sample|batch|s))?$/i;

/** `00:01`, `1:02:03`, `0:00:12.34`: a clock time or elapsed time. */
export const CLOCK = /^\d+:\d{2}(?::\d{2})?(?:\.\d+)?$/;

export function parseNumber(text: string): number | null {
  const lower = text.trim().toLowerCase().replace(/^\+/, '');
  if (lower === 'nan' || lower === '-nan') return Number.NaN;
  if (lower === 'inf' || lower === 'infinity') return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  if (lower === '') return null;
  const value = Number(lower);
  return Number.isNaN(value) ? null : value;
}

/** The number a whole cell or token holds, or null when it holds anything else. */
export function wholeNumber(text: string): number | null {
  return WHOLE_NUMBER.test(text) ? parseNumber(text) : null;
}

// eslint-disable-next-line no-control-regex
const TERMINAL_CONTROL = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x08/g;

/** Drops colours, cursor moves and backspaces (Keras erases its bar with `\b` before redrawing it). */
export function stripTerminalControl(text: string): string {
  return text.includes('\x1b') || text.includes('\x08') ? text.replace(TERMINAL_CONTROL, '') : text;
}
