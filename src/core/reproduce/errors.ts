import { UserError } from '../user-error';
/** Why a run cannot be reproduced; the message says what to do instead. */
export class ReproduceError extends UserError {
  constructor(
    readonly reason:
      | 'no-such-run'
      | 'no-commit'
      | 'not-a-repository'
      | 'commit-missing'
      | 'worktree-failed'
      | 'patch-failed'
      | 'input-not-found',
    message: string,
  ) {
    super(message);
    this.name = 'ReproduceError';
  }
}
