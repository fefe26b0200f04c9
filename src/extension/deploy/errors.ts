/** Why a deployment command did nothing; the message is shown as is, as a warning. */
export class DeployRefusedError extends Error {
  constructor(
    readonly reason:
      'no-workspace' | 'no-pushes' | 'no-deployments' | 'nothing-to-roll-back' | 'bad-request' | 'untrusted',
    message: string,
  ) {
    super(message);
    this.name = 'DeployRefusedError';
  }
}
