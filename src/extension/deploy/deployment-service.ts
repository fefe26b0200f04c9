import * as vscode from 'vscode';
import { Deployer, type OperationOptions } from '../../core/deploy/deployer';
import { DeployError, DeploymentFailedError } from '../../core/deploy/errors';
import type { InferRequest, InferResponse } from '../../core/deploy/oip-client';
import { DeploymentStore } from '../../core/deploy/record-store';
import type { DeploymentRecord } from '../../core/deploy/records';
import type { InstanceState } from '../../core/deploy/target';
import { createTargets } from '../../core/deploy/target-factory';
import type { TargetConfig } from '../../core/deploy/targets-config';
import { DEPLOYMENT_MODEL_VERSION_LABEL } from '../../core/lineage/load-graph';
import { DockerConfigCredentials } from '../../core/registry/credentials';
import type { IndexStore } from '../../core/store/database';
import { CanaryDeployer, type TrafficSplit } from '../../core/monitoring/canary';
import { MetricsHistory, type MetricsWindow } from '../../core/monitoring/metrics';
import { DeploymentMonitor } from '../../core/monitoring/monitor';
import type { DeploymentDriftOptions, DriftReport } from '../../core/monitoring/report';
import { listModels } from '../../core/store/models';
import type { Settings } from '../settings';
import type { FolderService } from '../workspace/folder-service';
import type { PushedVersion } from './push-pick';
import { registryUsesPlainHttp } from './registry-access';
import type { TargetsSettingReading } from './targets-setting';

/** Deployment record labels linking a deployment back to its push (lineage reads the first). */
export const PUSH_TAG_LABEL = 'trackside.push-tag';
export const PUSH_REPOSITORY_LABEL = 'trackside.push-repository';

/** How long a new model server may take to pull and load its model before the deployment fails. */
const HEALTH_TIMEOUT_MS = 120_000;

/**
 * The editor's side of deployment: the targets from `trackside.targets`, the Deployer over them,
 * the workspace's deployment records, and an audit line for every deploy, rollback and undeploy.
 */
export class DeploymentService implements vscode.Disposable {
  readonly store: DeploymentStore;
  private reading: TargetsSettingReading = { targets: [], problems: [] };
  private deployer!: Deployer;
  private canary!: CanaryDeployer;
  private monitor!: DeploymentMonitor;
  /** Readings of /metrics per deployment record, taken while the Deployments view is open. */
  private readonly histories = new Map<string, MetricsHistory>();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  /** Fires when records or targets change in this window. */
  readonly onDidChange = this.changeEmitter.event;
  private readonly metricsEmitter = new vscode.EventEmitter<DeploymentRecord>();
  /** Fires after each new reading of a deployment's metrics. */
  readonly onDidReadMetrics = this.metricsEmitter.event;

  constructor(
    private readonly folder: FolderService,
    private readonly settings: Settings,
    private readonly log: vscode.LogOutputChannel,
    private readonly secrets: vscode.SecretStorage,
  ) {
    this.store = new DeploymentStore(folder.root);
    this.reloadTargets();
  }

  get workspaceRoot(): string {
    return this.folder.root;
  }

  get workspaceFolder(): vscode.WorkspaceFolder {
    return this.folder.folder;
  }

  /** True once the folder has a `.trackside/` (only then can it hold deployments). */
  hasRuns(): boolean {
    return this.folder.hasRuns();
  }

  get folderName(): string {
    return this.folder.name;
  }

  /** The folder's index (its recorded pushes are what Deploy… offers). */
  index(): Promise<IndexStore> {
    return this.folder.store();
  }

  /** Aliases of the folder's model versions, by `name@version`: shown beside what a deployment serves. */
  async aliases(): Promise<Map<string, string[]>> {
    const aliases = new Map<string, string[]>();
    // A folder without runs has no models either, and opening its index would create .trackside/.
    if (!this.folder.hasRuns()) return aliases;
    for (const model of listModels(await this.folder.store())) {
      for (const v of model.versions) aliases.set(`${v.name}@${v.version}`, v.aliases);
    }
    return aliases;
  }

  /** Reads `trackside.targets` again; returns the problems found in it. */
  reloadTargets(): string[] {
    this.reading = this.settings.targets(this.workspaceRoot);
    const docker = new DockerConfigCredentials();
    const targets = createTargets(this.reading.targets);
    const servingToken = (target: string) => this.servingToken(target);
    const options = {
      store: this.store,
      targets,
      healthTimeoutMs: HEALTH_TIMEOUT_MS,
      registryCredentials: (registry: string) => docker.getCredentials(registry),
      servingToken,
    };
    this.deployer = new Deployer(options);
    this.canary = new CanaryDeployer({
      ...options,
      audit: { audit: (action, subject, detail = {}) => this.writeAudit(action, subject, detail) },
    });
    this.monitor = new DeploymentMonitor({ workspaceRoot: this.workspaceRoot, targets, servingToken });
    this.changeEmitter.fire();
    return this.reading.problems;
  }

  get targets(): readonly TargetConfig[] {
    return this.reading.targets;
  }

  get problems(): readonly string[] {
    return this.reading.problems;
  }

  /** The bearer token a target's model servers ask for, kept in SecretStorage (none: they answer anyone who reaches them). */
  servingToken(target: string): Promise<string | undefined> {
    return Promise.resolve(this.secrets.get(servingTokenKey(target))).then((t) => t || undefined);
  }

  async setServingToken(target: string, token: string | undefined): Promise<void> {
    if (token) await this.secrets.store(servingTokenKey(target), token);
    else await this.secrets.delete(servingTokenKey(target));
  }

  /** True for a target whose servers this editor can ask for metrics and prediction logs (Podman, SSH). */
  isMonitored(record: DeploymentRecord): boolean {
    return this.reading.targets.some((t) => t.name === record.target && t.kind !== 'kserve');
  }

  /** Reads a ready deployment's /metrics once, adding to its history; resolves with the newest windows. */
  async readMetrics(record: DeploymentRecord, signal?: AbortSignal): Promise<MetricsWindow[]> {
    let history = this.histories.get(record.id);
    if (!history) {
      history = new MetricsHistory();
      this.histories.set(record.id, history);
    }
    const windows = history.add(await this.monitor.metrics(record, signal));
    this.metricsEmitter.fire(record);
    return windows;
  }

  /** Every window read so far for the record (oldest first; empty before two readings). */
  metricsHistory(record: DeploymentRecord): MetricsWindow[] {
    return this.histories.get(record.id)?.series() ?? [];
  }

  /** The newest windows (one per model version) of the record, if it was read twice or more. */
  latestTraffic(record: DeploymentRecord): MetricsWindow[] {
    const series = this.metricsHistory(record);
    const last = series.at(-1)?.to;
    return last === undefined ? [] : series.filter((w) => w.to === last);
  }

  drift(record: DeploymentRecord, options: DeploymentDriftOptions = {}, signal?: AbortSignal): Promise<DriftReport> {
    return this.monitor.drift(record, options, signal);
  }

  split(record: DeploymentRecord, signal?: AbortSignal): Promise<TrafficSplit> {
    return this.canary.split(record.target, record.name, signal);
  }

  /** Serves `push` beside what the deployment serves, with `percent` of the requests. */
  startCanary(record: DeploymentRecord, push: PushedVersion, percent: number, options: OperationOptions = {}) {
    return this.notifying(() =>
      this.canary.start(
        {
          target: record.target,
          name: record.name,
          modelRef: push.reference,
          plainHttp: registryUsesPlainHttp(push.registry, this.settings.registries.registries),
          percent,
          labels: this.pushLabels(push),
          monitoring: this.predictionLogSettings(),
        },
        options,
      ),
    );
  }

  setSplit(record: DeploymentRecord, percent: number, options: OperationOptions = {}) {
    return this.notifying(() => this.canary.setSplit(record.target, record.name, percent, options));
  }

  promoteCanary(record: DeploymentRecord, options: OperationOptions = {}) {
    return this.notifying(() => this.canary.promote(record.target, record.name, options));
  }

  rollbackCanary(record: DeploymentRecord, options: OperationOptions = {}) {
    return this.notifying(() => this.canary.rollback(record.target, record.name, options));
  }

  private async notifying<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } finally {
      this.changeEmitter.fire();
    }
  }

  private predictionLogSettings(): { sampleRate: number } {
    return { sampleRate: this.settings.monitoring.predictionLogSampleRate };
  }

  private pushLabels(push: PushedVersion): Record<string, string> {
    return {
      [DEPLOYMENT_MODEL_VERSION_LABEL]: `${push.name}@${push.version}`,
      [PUSH_REPOSITORY_LABEL]: `${push.registry}/${push.repository}`,
      ...(push.tag ? { [PUSH_TAG_LABEL]: push.tag } : {}),
    };
  }

  isConfigured(targetName: string): boolean {
    return this.reading.targets.some((t) => t.name === targetName);
  }

  notifyChanged(): void {
    this.changeEmitter.fire();
  }

  async deploy(
    push: PushedVersion,
    targetName: string,
    name: string,
    options: OperationOptions,
  ): Promise<DeploymentRecord> {
    return this.audited('deployment.deploy', targetName, name, () =>
      this.deployer.deploy(
        {
          target: targetName,
          name,
          modelRef: push.reference,
          plainHttp: registryUsesPlainHttp(push.registry, this.settings.registries.registries),
          labels: this.pushLabels(push),
          monitoring: this.predictionLogSettings(),
        },
        options,
      ),
    );
  }

  rollback(record: DeploymentRecord, options: OperationOptions): Promise<DeploymentRecord> {
    return this.audited('deployment.rollback', record.target, record.name, () =>
      this.deployer.rollback(record.target, record.name, options),
    );
  }

  /**
   * Stops what serves under the record's name. A failed deployment has nothing running, but
   * undeploying it clears it from the list; repeating is harmless.
   */
  async undeploy(record: DeploymentRecord, options: OperationOptions = {}): Promise<DeploymentRecord | undefined> {
    const result = await this.audited('deployment.undeploy', record.target, record.name, async () => {
      const stopped = await this.deployer.undeploy(record.target, record.name, options);
      if (stopped) return stopped;
      const latest = this.store.history(record.target, record.name).at(-1);
      if (latest?.status === 'failed') return this.store.transition(latest, 'undeployed', {}, 'cleared after failure');
      return undefined;
    });
    return result;
  }

  refresh(record: DeploymentRecord, signal?: AbortSignal): Promise<{ record: DeploymentRecord; state: InstanceState }> {
    return this.deployer.refresh(record, signal);
  }

  logs(record: DeploymentRecord, tail = 200): Promise<string[]> {
    return this.deployer.logs(record, tail);
  }

  infer(record: DeploymentRecord, request: InferRequest, signal?: AbortSignal): Promise<InferResponse> {
    return this.deployer.infer(record, request, signal);
  }

  /** The version a rollback would bring back, if there is one. */
  rollbackCandidate(record: DeploymentRecord): DeploymentRecord | undefined {
    if (record.status !== 'ready' && record.status !== 'written') return undefined;
    return [...this.store.history(record.target, record.name)]
      .reverse()
      .find((r) => r.id < record.id && r.status === 'replaced' && r.digest !== record.digest);
  }

  /** Runs a deployment action, then writes its outcome (success or failure) to the audit log. */
  private async audited<T extends DeploymentRecord | undefined>(
    action: string,
    target: string,
    name: string,
    run: () => Promise<T>,
  ): Promise<T> {
    let outcome: Record<string, unknown>;
    try {
      const record = await run();
      outcome = record ? recordDetail(record) : { status: 'nothing-running' };
      return record;
    } catch (error) {
      const failed = error instanceof DeploymentFailedError ? this.store.get(error.recordId) : undefined;
      outcome = {
        ...(failed ? recordDetail(failed) : {}),
        status: 'failed',
        reason: error instanceof DeploymentFailedError || error instanceof DeployError ? error.reason : 'error',
        message: error instanceof Error ? error.message : String(error),
      };
      throw error;
    } finally {
      // The audit line must not hide the action's own outcome, so its failure is only logged.
      await this.writeAudit(action, `${target}/${name}`, { target, name, ...outcome! }).catch((e: unknown) =>
        this.log.error(`Could not write the audit line for ${action} ${target}/${name}`, e),
      );
      this.changeEmitter.fire();
    }
  }

  private async writeAudit(action: string, subject: string, detail: Record<string, unknown>): Promise<void> {
    await (await this.folder.modelRegistry()).audit(action, subject, detail);
  }

  dispose(): void {
    this.changeEmitter.dispose();
    this.metricsEmitter.dispose();
  }
}

function servingTokenKey(target: string): string {
  return `trackside.serving-token:${target}`;
}

function recordDetail(record: DeploymentRecord): Record<string, unknown> {
  return {
    status: record.status,
    recordId: record.id,
    modelVersion: record.labels?.[DEPLOYMENT_MODEL_VERSION_LABEL] ?? null,
    digest: record.digest,
    reference: record.modelRef,
    ...(record.endpoint ? { endpoint: record.endpoint } : {}),
    ...(record.rolledBackFrom ? { rolledBackFrom: record.rolledBackFrom } : {}),
  };
}
