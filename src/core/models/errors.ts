import { UserError } from '../user-error';
/** Why a model registry operation was refused; the message says what to do instead. */
export class ModelRegistryError extends UserError {
  constructor(
    readonly reason:
      | 'no-such-run'
      | 'no-such-artifact'
      | 'artifact-missing'
      | 'artifact-changed'
      | 'invalid-name'
      | 'invalid-alias'
      | 'no-such-model'
      | 'no-such-version'
      | 'no-such-alias',
    message: string,
  ) {
    super(message);
    this.name = 'ModelRegistryError';
  }
}
