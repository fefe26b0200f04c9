import { UserError } from '../user-error';
/**
 * Why a deployment step failed. Each reason maps to one next step the user can take, so the
 * editor and the CLI show the same advice without reading message text.
 */
export type DeployFailureReason =
  | 'container-exited'
  | 'health-timeout'
  | 'port-in-use'
  | 'auth-refused'
  | 'host-key-rejected'
  | 'host-unreachable'
  | 'model-pull-failed'
  | 'model-load-failed'
  | 'target-unreachable'
  | 'target-error'
  | 'invalid-request'
  | 'not-found'
  | 'aborted';

const nextSteps: Record<DeployFailureReason, string> = {
  'container-exited': 'Read the log lines below, fix the cause, then deploy again.',
  'health-timeout':
    'The server did not become ready in time: check the log lines, or raise the health timeout for large models.',
  'port-in-use': 'Choose another port for this target, or undeploy what is listening on it.',
  'auth-refused':
    "Check the user and key file in the target's settings, and that the public key is in authorized_keys.",
  'host-key-rejected':
    "The host's key is not the one recorded in known_hosts: verify the host, then update its known_hosts entry.",
  'host-unreachable': 'Check the host name and port, and that the SSH server is running and reachable.',
  'model-pull-failed':
    'Check that the registry is reachable from the target and that the digest was pushed (and the credentials, if any).',
  'model-load-failed':
    "The runtime could not load the model file: check that the runtime's Python has the model's framework at a compatible version.",
  'target-unreachable': "Check that the target's API is running and that its address or socket path is correct.",
  'target-error': 'Read the message and the log lines, then deploy again.',
  'invalid-request': 'Correct the request and try again.',
  'not-found': 'Refresh the deployments list: this deployment no longer exists.',
  aborted: 'Deploy again when ready.',
};

/** A deploy, status, test call or undeploy that failed, with the last log lines that explain it. */
export class DeployError extends UserError {
  readonly nextStep: string;

  constructor(
    readonly reason: DeployFailureReason,
    message: string,
    readonly logTail: string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeployError';
    this.nextStep = nextSteps[reason];
  }

  /** The same error carrying log lines collected after it was raised. */
  withLogTail(lines: string[]): DeployError {
    if (lines.length === 0 || this.logTail.length > 0) return this;
    return new DeployError(this.reason, this.message, lines, { cause: this.cause });
  }
}

/** Exit codes of `runtime/serve.py`, so a stopped server's exit code alone names the failure. */
export const runtimeExitReasons: Record<number, DeployFailureReason> = {
  3: 'port-in-use',
  4: 'model-pull-failed',
  5: 'model-load-failed',
};

export function reasonForRuntimeExit(exitCode: number): DeployFailureReason {
  return runtimeExitReasons[exitCode] ?? 'container-exited';
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/**
 * A deployment that ended failed. Everything it created has been removed (or `cleanupFailed` says
 * what could not be), and `record` is the failed record as stored.
 */
export class DeploymentFailedError extends UserError {
  readonly reason: DeployFailureReason;
  readonly nextStep: string;
  readonly logTail: string[];

  constructor(
    readonly recordId: string,
    readonly error: DeployError,
    readonly cleanupFailed?: string,
  ) {
    super(`deployment failed: ${error.message}${cleanupFailed ? ` (and cleanup failed: ${cleanupFailed})` : ''}`, {
      cause: error,
    });
    this.name = 'DeploymentFailedError';
    this.reason = error.reason;
    this.nextStep = error.nextStep;
    this.logTail = error.logTail;
  }
}

/** Any thrown value as a DeployError, keeping a DeployError's own reason. */
export function asDeployError(error: unknown): DeployError {
  if (error instanceof DeployError) return error;
  if (isAbortError(error)) return new DeployError('aborted', 'cancelled', [], { cause: error });
  return new DeployError('target-error', error instanceof Error ? error.message : String(error), [], { cause: error });
}
