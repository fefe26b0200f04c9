import { UserError } from '../user-error';
/** A run file that cannot be read, parsed, or does not match its schema. */
export class RunFileError extends UserError {
  constructor(
    readonly path: string,
    readonly reason: 'unreadable' | 'malformed' | 'invalid',
    detail: string,
  ) {
    super(`${path} is ${reason}: ${detail}`);
    this.name = 'RunFileError';
  }
}
