import { UserError } from '../core/user-error';

/** Why a command did nothing; each reason's message says what to do instead. */
export type RefusalReason =
  | 'untrusted'
  | 'no-workspace'
  | 'several-folders'
  | 'no-file'
  | 'unsupported-file'
  | 'outside-workspace'
  | 'unknown-run'
  | 'no-selection'
  | 'no-runs'
  | 'not-running'
  | 'not-queued'
  | 'no-process'
  | 'missing-file'
  | 'permission'
  | 'no-models'
  | 'no-pushes'
  | 'no-deployments'
  | 'nothing-to-roll-back'
  | 'bad-request'
  | 'not-monitored'
  | 'not-ours'
  | 'no-training-run';

/**
 * A command that cannot act on what it was given (Restricted Mode, no selection, nothing
 * registered yet…). The command wrapper shows its message as a calm warning, never as a failure.
 */
export class RefusedError extends UserError {
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
  }
}
