import { UserError } from '../user-error';

/** Why a monitoring question (drift, metrics, a traffic split) could not be answered. */
export type MonitoringFailureReason =
  'no-reference' | 'no-live-data' | 'feature-mismatch' | 'unreadable' | 'not-found' | 'invalid-request' | 'unreachable';

const nextSteps: Record<MonitoringFailureReason, string> = {
  'no-reference':
    'Log the training data in the training script (ts.log_input("data/train.csv")), or name a CSV file with --reference.',
  'no-live-data': 'Send the deployment some requests (or widen --since), then ask again.',
  'feature-mismatch':
    'Name the reference column that is the target (not a feature), or give a reference file with exactly the model’s input columns.',
  unreadable: 'Check that the file exists, is readable and is CSV with a header row.',
  'not-found': 'Refresh the deployments list: this deployment or its version no longer exists.',
  'invalid-request': 'Correct the request and try again.',
  unreachable:
    'Check that the deployment is running and its endpoint is reachable from here (and the token, if it needs one).',
};

export class MonitoringError extends UserError {
  readonly nextStep: string;

  constructor(
    readonly reason: MonitoringFailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.nextStep = nextSteps[reason];
  }
}
