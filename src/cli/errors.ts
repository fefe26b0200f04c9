import { UserError } from '../core/user-error';
/** An error the CLI prints as one line (with its next step) and exits on, without a stack trace. */
export class CliError extends UserError {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
