import type { DeploymentRecord } from '../deploy/records';
import { isServingTarget, type ServingTarget } from '../deploy/runtime-command';
import type { DeploymentTarget } from '../deploy/target';
import { MonitoringError } from './errors';
import { scrapeMetrics, type MetricsSnapshot } from './metrics';
import { deploymentDriftReport, type DeploymentDriftOptions, type DriftReport } from './report';

export interface DeploymentMonitorOptions {
  workspaceRoot: string;
  targets: ReadonlyMap<string, DeploymentTarget>;
  /** The bearer token a deployment's server asks for, when it has one (the same lookup the Deployer uses). */
  servingToken?: (target: string, name: string) => Promise<string | undefined>;
}

/**
 * What the editor asks about a deployment in production: its counters now (poll it and feed a
 * MetricsHistory for rates and latency over time) and the drift of its inputs against the training data.
 */
export class DeploymentMonitor {
  constructor(private readonly options: DeploymentMonitorOptions) {}

  private servingTarget(record: DeploymentRecord): ServingTarget {
    const target = this.options.targets.get(record.target);
    if (!target) throw new MonitoringError('not-found', `no deployment target named "${record.target}" is configured`);
    if (!isServingTarget(target)) {
      throw new MonitoringError(
        'invalid-request',
        `${record.target} is a ${target.kind} target: its servers' logs and metrics stay in the cluster`,
      );
    }
    return target;
  }

  /** Reads /metrics at the deployment's endpoint (its router's, when it splits traffic). */
  async metrics(record: DeploymentRecord, signal?: AbortSignal): Promise<MetricsSnapshot> {
    if (!record.endpoint) throw new MonitoringError('not-found', `${record.name} has no endpoint to read metrics from`);
    const token = await this.options.servingToken?.(record.target, record.name);
    return scrapeMetrics(record.endpoint, { ...(token ? { token } : {}), ...(signal ? { signal } : {}) });
  }

  drift(record: DeploymentRecord, options: DeploymentDriftOptions = {}, signal?: AbortSignal): Promise<DriftReport> {
    return deploymentDriftReport(this.options.workspaceRoot, record, this.servingTarget(record), options, signal);
  }
}
