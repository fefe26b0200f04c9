import * as vscode from 'vscode';
import type { DeploymentRecord } from '../../core/deploy/records';
import type { InstanceState } from '../../core/deploy/target';
import type { DeploymentService } from './deployment-service';
import type { MonitoringAlerts } from './monitoring-alerts';
import { summarizeTraffic, trafficText } from './traffic-text';
import type { DeploymentsNode, DeploymentsTreeProvider } from './tree';

/** How often the live state of ready deployments is read while the view is on screen. */
export const STATUS_REFRESH_MS = 5_000;

/**
 * Asks each target how its ready deployments are doing, every few seconds while the Deployments
 * view is visible and never while it is hidden. A server found stopped becomes a failed record
 * (Deployer.refresh), which the view then shows with its reason. The /metrics of each ready
 * deployment on Podman and SSH are read in the same pass: the view shows its request rate, error
 * rate and latency, and the alerts check them (and, now and then, the drift of its inputs).
 */
export class DeploymentStatusRefresh implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly abort = new AbortController();
  private readonly visibility: vscode.Disposable;

  constructor(
    private readonly view: vscode.TreeView<DeploymentsNode>,
    private readonly tree: DeploymentsTreeProvider,
    private readonly log: vscode.LogOutputChannel,
    private readonly alerts?: MonitoringAlerts,
    private readonly intervalMs = STATUS_REFRESH_MS,
  ) {
    this.visibility = view.onDidChangeVisibility((e) => (e.visible ? this.start() : this.stop()));
    if (view.visible === true) this.start();
  }

  private start(): void {
    if (this.timer) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    // A status poll alone must not keep a process alive (the CLI-free tests load this module too).
    this.timer.unref?.();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass over the ready deployments; a slow target never lets passes pile up. */
  async tick(): Promise<void> {
    // Asking a target runs ssh or kubectl: never in Restricted Mode.
    if (this.running || !vscode.workspace.isTrusted) return;
    this.running = true;
    try {
      const states = new Map<string, InstanceState>();
      const traffic = new Map<string, string>();
      const changed = new Set<DeploymentService>();
      const ready = this.tree
        .listed()
        .filter(({ service, record }) => record.status === 'ready' && service.isConfigured(record.target));
      await Promise.all(
        ready.map(async ({ service, record }) => {
          try {
            const result = await service.refresh(record, this.abort.signal);
            states.set(record.id, result.state);
            if (result.record.status !== record.status) changed.add(service);
            else if (service.isMonitored(record)) await this.readTraffic(service, record, traffic);
          } catch (error) {
            if (this.abort.signal.aborted) return;
            states.set(record.id, { state: 'unknown', detail: error instanceof Error ? error.message : String(error) });
            this.log.debug(`Status of ${record.target}/${record.name} unknown`, error);
          }
        }),
      );
      if (this.abort.signal.aborted) return;
      this.tree.setLiveStates(states, traffic);
      for (const service of changed) service.notifyChanged();
    } finally {
      this.running = false;
    }
  }

  private async readTraffic(
    service: DeploymentService,
    record: DeploymentRecord,
    traffic: Map<string, string>,
  ): Promise<void> {
    let windows;
    try {
      windows = await service.readMetrics(record, this.abort.signal);
    } catch (error) {
      if (this.abort.signal.aborted) return;
      traffic.set(record.id, 'metrics unavailable');
      this.log.debug(`Metrics of ${record.target}/${record.name} unavailable`, error);
      return;
    }
    const summary = summarizeTraffic(service.latestTraffic(record));
    if (summary) traffic.set(record.id, trafficText(summary));
    await this.alerts?.afterReading(service, record, windows, this.abort.signal);
  }

  dispose(): void {
    this.stop();
    this.abort.abort();
    this.visibility.dispose();
  }
}
