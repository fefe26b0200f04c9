/**
 * The one vocabulary for failures a user can act on: the message says what went wrong and what to do
 * next. The editor's command wrapper shows such an error as one calm message and the CLI prints it as
 * one line; anything else is a bug, logged with its stack. Each feature's typed error extends this
 * class and adds a `reason` that tells its causes apart for code and tests.
 */
export class UserError extends Error {
  /**
   * A brand read by the CLI, whose commands are separate bundles (each with its own copy of this
   * class, so `instanceof` across them fails), and by the editor.
   */
  readonly userFacing = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** True for a {@link UserError} from any bundle. */
export function isUserError(error: unknown): error is UserError {
  return error instanceof Error && (error as Partial<UserError>).userFacing === true;
}
