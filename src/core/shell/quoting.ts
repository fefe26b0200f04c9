import { UserError } from '../user-error';

/**
 * The one place where values cross into a shell, a batch script or a command line of another
 * program. A run name, tag, param, experiment, sweep value or model name can come from a repository
 * the user just cloned, so every such value is either quoted here, refused here, or passed as an
 * argv element (never through a shell). Tested by feeding random hostile strings through every
 * generator (see the fuzz tests).
 */

export type UnsafeValueReason = 'control-character' | 'leading-dash' | 'double-quote' | 'empty';

/** A value that cannot be used where it was given; the message names it and what to do. */
export class UnsafeValueError extends UserError {
  constructor(
    readonly reason: UnsafeValueReason,
    readonly what: string,
    message: string,
  ) {
    super(message);
  }
}

// eslint-disable-next-line no-control-regex -- control characters are what this looks for
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/;

export function hasControlCharacter(value: string): boolean {
  return CONTROL.test(value);
}

/** A name or label (run, experiment, tag): one line of text, no control characters. */
export function requirePlainText(what: string, value: string): string {
  if (value.trim() === '') throw new UnsafeValueError('empty', what, `${what} cannot be empty`);
  if (hasControlCharacter(value)) {
    throw new UnsafeValueError(
      'control-character',
      what,
      `${what} ${JSON.stringify(value)} holds a line break or another control character: use one line of plain text`,
    );
  }
  return value;
}

/** A value passed to a program as an operand (an SSH host, a user name) must not read as an option. */
export function requireNotOption(what: string, value: string): string {
  requirePlainText(what, value);
  if (value.startsWith('-')) {
    throw new UnsafeValueError(
      'leading-dash',
      what,
      `${what} ${JSON.stringify(value)} starts with "-": it would be read as an option`,
    );
  }
  return value;
}

/** A label for display in a generated file: control characters become spaces, so it stays one line. */
export function oneLine(value: string): string {
  return value.replace(new RegExp(CONTROL.source, 'g'), ' ');
}

/** Quotes a word for a POSIX shell: single quotes, with embedded single quotes closed and escaped. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line for a POSIX shell on another machine (SSH): every word quoted. */
export function shellCommand(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}
