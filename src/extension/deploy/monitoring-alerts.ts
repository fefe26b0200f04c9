import * as vscode from 'vscode';
import { formatNumber } from '../../core/format/numbers';
import type { DeploymentRecord } from '../../core/deploy/records';
import type { MetricsWindow } from '../../core/monitoring/metrics';
import type { DriftReport } from '../../core/monitoring/report';
import { saveDriftReport } from '../../core/monitoring/report-files';
import type { Settings } from '../settings';
import type { DeploymentService } from './deployment-service';
import { summarizeTraffic } from './traffic-text';

/** A polling window with fewer requests says too little about an error rate to warn about it. */
export const MIN_ALERT_REQUESTS = 20;
/** A drift report over fewer logged requests says too little to warn about. */
export const MIN_DRIFT_ROWS = 50;

export const OPEN_DEPLOYMENT_COMMAND = 'trackside.openDeployment';
export const RETRAIN_COMMAND = 'trackside.retrainDeployment';
export const OPEN_DRIFT_REPORT = 'Open Drift Report';
export const RETRAIN_ON_NEW_DATA = 'Retrain on New Data';

interface Watched {
  /** Over the error-rate threshold in the newest window: warned once until it is back under. */
  failing: boolean;
  lastDriftCheck: number;
  requestsSinceCheck: number;
  /** Drifting at the last check: warned once, until a check finds it back under the threshold. */
  drifting: boolean;
}

/**
 * Warns when a deployment's error rate or the drift of its inputs crosses the thresholds in the
 * settings, after each reading of its metrics (so only while the Deployments view is open). The
 * drift warning saves its report under .trackside/drift/ and offers to open it or to retrain.
 */
export class MonitoringAlerts {
  private readonly watched = new Map<string, Watched>();

  constructor(
    private readonly settings: Settings,
    private readonly log: vscode.LogOutputChannel,
    private readonly now: () => number = Date.now,
  ) {}

  async afterReading(
    service: DeploymentService,
    record: DeploymentRecord,
    windows: readonly MetricsWindow[],
    signal: AbortSignal,
  ): Promise<void> {
    const state = this.stateOf(record);
    const summary = summarizeTraffic(windows);
    const { errorRateAlert, driftAlertShare, driftCheckSeconds } = this.settings.monitoring;
    if (summary) {
      state.requestsSinceCheck += summary.requests;
      const failing = summary.requests >= MIN_ALERT_REQUESTS && summary.errorRate >= errorRateAlert;
      if (failing && !state.failing) void this.warnErrors(service, record, summary.errorRate, summary.requests);
      state.failing = failing;
    }
    const due = this.now() - state.lastDriftCheck >= driftCheckSeconds * 1000;
    if (driftCheckSeconds === 0 || !due || state.requestsSinceCheck === 0) return;
    state.lastDriftCheck = this.now();
    state.requestsSinceCheck = 0;
    let report;
    try {
      // The requests this record served: an earlier version's traffic was warned about with it.
      report = await service.drift(record, { since: Date.parse(record.createdAt) / 1000 }, signal);
    } catch (error) {
      // A deployment without logged training data has no drift to check; say it once in the log.
      this.log.debug(`No drift check for ${record.target}/${record.name}`, error);
      return;
    }
    if (report.live.rows < MIN_DRIFT_ROWS) return;
    const drifting = report.driftedFeatures.length > 0 && report.share >= driftAlertShare;
    const news = drifting && !state.drifting;
    state.drifting = drifting;
    if (!news) return;
    const path = await saveDriftReport(service.workspaceRoot, report);
    this.log.info(`Drift in ${record.target}/${record.name}: ${report.driftedFeatures.length} features; saved ${path}`);
    // Not awaited: the next readings go on while the warning waits for the user.
    void this.warnDrift(service, record, report, path);
  }

  private async warnDrift(service: DeploymentService, record: DeploymentRecord, report: DriftReport, path: string) {
    const shown = report.driftedFeatures.slice(0, 3).join(', ');
    const more = report.driftedFeatures.length > 3 ? ` and ${report.driftedFeatures.length - 3} more` : '';
    const choice = await vscode.window.showWarningMessage(
      `Trackside: the inputs of ${record.name} drifted from its training data: ` +
        `${report.driftedFeatures.length} of ${report.features.length} features (${formatNumber(report.share * 100)}%: ${shown}${more})` +
        `${report.datasetDrift ? ' — dataset drift' : ''}.`,
      OPEN_DRIFT_REPORT,
      RETRAIN_ON_NEW_DATA,
    );
    const args = { root: service.workspaceRoot, record, report: path };
    if (choice === OPEN_DRIFT_REPORT) await vscode.commands.executeCommand(OPEN_DEPLOYMENT_COMMAND, args);
    if (choice === RETRAIN_ON_NEW_DATA) await vscode.commands.executeCommand(RETRAIN_COMMAND, args);
  }

  private stateOf(record: DeploymentRecord): Watched {
    let state = this.watched.get(record.id);
    if (!state) {
      // The first check comes with the first requests seen; the next ones an interval apart.
      state = { failing: false, lastDriftCheck: 0, requestsSinceCheck: 0, drifting: false };
      this.watched.set(record.id, state);
    }
    return state;
  }

  private async warnErrors(service: DeploymentService, record: DeploymentRecord, rate: number, requests: number) {
    const choice = await vscode.window.showWarningMessage(
      `Trackside: ${record.name} failed ${formatNumber(rate * 100)}% of its last ${requests} requests ` +
        `(warning at ${formatNumber(this.settings.monitoring.errorRateAlert * 100)}%).`,
      'Show Logs',
      'Open Deployment',
    );
    const args = { root: service.workspaceRoot, record };
    if (choice === 'Show Logs') await vscode.commands.executeCommand('trackside.showDeploymentLogs', args);
    if (choice === 'Open Deployment') await vscode.commands.executeCommand(OPEN_DEPLOYMENT_COMMAND, args);
  }
}
