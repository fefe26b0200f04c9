export type HarnessFailure =
  | 'code-server-missing'
  | 'code-server-exited'
  | 'code-server-not-ready'
  | 'code-server-did-not-stop'
  | 'extension-install-failed'
  | 'vsix-missing'
  | 'chromium-missing'
  | 'development-extension-unsupported';

/** A failure of the end-to-end machinery itself (not of the extension under test), with the next step to take. */
export class HarnessError extends Error {
  constructor(
    readonly reason: HarnessFailure,
    message: string,
  ) {
    super(message);
    this.name = 'HarnessError';
  }
}
