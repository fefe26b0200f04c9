import { writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import type { DeploymentRecord } from '../../core/deploy/records';
import type { TrafficSplit } from '../../core/monitoring/canary';
import type { MetricsWindow } from '../../core/monitoring/metrics';
import type { DriftReport } from '../../core/monitoring/report';
import {
  DEPLOYMENT_VIEW_TYPE,
  DeploymentCommandSchema,
  durationSeconds,
  type DeploymentCommand,
  type DeploymentNotification,
  type DeploymentView,
  type DriftSince,
} from '../../protocol/deployment';
import { PanelHost } from '../webview/panel-host';
import { servedVersion } from './deployment-labels';

/**
 * What a Deployment panel reads and asks of one deployment (a name on a target). DeploymentService
 * implements it per deployment; the panel never reaches the target itself.
 */
export interface DeploymentPanelSource {
  /** The workspace folder the deployment belongs to: a relative reference path resolves against it. */
  readonly workspaceRoot: string;
  /** The newest record of this target/name, or undefined once there is none. */
  record(): DeploymentRecord | undefined;
  /** The windows between the /metrics readings kept so far, oldest first. */
  metricsHistory(): readonly MetricsWindow[];
  /** Fires after each metrics poll and each change of the deployment's records. */
  readonly onDidUpdate: vscode.Event<void>;
  /** The drift report over requests since `since` (seconds since the epoch), or over all of them. */
  drift(options: { since?: number }, signal: AbortSignal): Promise<DriftReport>;
  /** The recorded split and what the router reports now; undefined without a router. */
  split(): Promise<TrafficSplit | undefined>;
  /** "Retrain on New Data": starts a training run on the data the deployment was sent. */
  retrain(): Promise<void>;
  /**
   * The canary's share of requests, 0–100. The panel has asked for confirmation of promote and
   * rollback already; these must not ask again.
   */
  setSplit(percent: number): Promise<void>;
  promote(): Promise<void>;
  rollback(): Promise<void>;
}

type DriftState =
  | { kind: 'none' }
  | { kind: 'pending'; since: DriftSince }
  | { kind: 'done'; since: DriftSince; report: DriftReport }
  | { kind: 'failed'; since: DriftSince; message: string };

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The Deployment panel: one deployed model's traffic over time (request rate, error rate, latency
 * per version), its drift report against the training data, and, while a canary runs, its split
 * with Set Split, Promote and Roll Back. One panel per deployment; showing it again reveals it.
 */
export class DeploymentPanel implements vscode.Disposable {
  private static readonly open = new Map<string, DeploymentPanel>();
  private readonly host: PanelHost<DeploymentCommand, DeploymentNotification>;
  private drift: DriftState = { kind: 'none' };
  private driftAbort: AbortController | undefined;
  private split: TrafficSplit | undefined;
  /** The record the split was read for: a new record (or update) reads it again. */
  private splitFor: string | undefined;
  private busy: string | undefined;
  /** Posts wait for the webview's `ready`, which is answered with everything at once. */
  private webviewReady = false;
  private disposed = false;

  /**
   * Shows the panel of `target`/`name` in `source`'s workspace folder, revealing the open one if
   * there is one (its source stays the one it was opened with).
   */
  static show(
    extensionUri: vscode.Uri,
    log: vscode.LogOutputChannel,
    source: DeploymentPanelSource,
    target: string,
    name: string,
  ): DeploymentPanel {
    const key = panelKey(source.workspaceRoot, target, name);
    const existing = DeploymentPanel.open.get(key);
    if (existing) {
      existing.host.panel.reveal();
      return existing;
    }
    const panel = new DeploymentPanel(extensionUri, log, source, target, name);
    DeploymentPanel.open.set(key, panel);
    return panel;
  }

  /** Closes every Deployment panel (on deactivate). */
  static disposeAll(): void {
    for (const panel of [...DeploymentPanel.open.values()]) panel.dispose();
  }

  private constructor(
    extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly source: DeploymentPanelSource,
    readonly target: string,
    readonly name: string,
  ) {
    this.host = PanelHost.open(DEPLOYMENT_VIEW_TYPE, {
      extensionUri,
      log,
      bundle: 'deployment',
      name: 'Deployment panel',
      title: `Deployment: ${name}`,
      commands: DeploymentCommandSchema,
      onCommand: (command) => this.onCommand(command),
    });
    this.host.own(
      source.onDidUpdate(() => this.onUpdate()),
      this.host.panel.onDidChangeViewState(() => {
        if (!this.host.visible) this.webviewReady = false;
      }),
    );
    this.host.onDidDispose(() => this.dispose());
    void this.computeDrift(null);
  }

  private async onCommand(command: DeploymentCommand): Promise<void> {
    switch (command.type) {
      case 'ready':
        this.webviewReady = true;
        await this.sendAll();
        return;
      case 'refreshDrift':
        await this.computeDrift(command.since);
        return;
      case 'openReference':
        await this.openReference();
        return;
      case 'exportReport':
        await this.exportReport();
        return;
      case 'retrain':
        await this.act('Retraining', () => this.source.retrain());
        return;
      case 'setSplit':
        await this.act(`Setting the split to ${command.percent}%`, () => this.source.setSplit(command.percent));
        return;
      case 'promote':
        if (await this.confirm('promote')) await this.act('Promoting the canary', () => this.source.promote());
        return;
      case 'rollback':
        if (await this.confirm('rollback')) await this.act('Rolling back the canary', () => this.source.rollback());
        return;
    }
  }

  /** A reloaded webview (shown again after being hidden) gets everything the host holds. */
  private async sendAll(): Promise<void> {
    await this.sendDeployment(true);
    this.sendMetrics();
    this.sendDrift();
  }

  /** A hidden panel skips updates: shown again, its webview reloads and says `ready`. */
  private onUpdate(): void {
    if (this.disposed || !this.webviewReady) return;
    this.sendMetrics();
    void this.sendDeployment(false);
  }

  private sendMetrics(): void {
    this.host.post({ type: 'metrics', windows: [...this.source.metricsHistory()] });
  }

  private async sendDeployment(readSplit: boolean): Promise<void> {
    const record = this.source.record();
    const recordKey = record ? `${record.id}@${record.updatedAt}` : undefined;
    if (record?.routing && (readSplit || recordKey !== this.splitFor)) {
      this.splitFor = recordKey;
      try {
        this.split = await this.source.split();
      } catch (error) {
        // The recorded split still shows; only the router's own counts are missing.
        this.log.warn(`Deployment panel: reading the split of ${this.name} failed: ${errorText(error)}`);
        this.split = undefined;
      }
    } else if (!record?.routing) {
      this.split = undefined;
      this.splitFor = recordKey;
    }
    if (this.disposed) return;
    const view = deploymentView(this.target, this.name, this.source.record(), this.split);
    this.host.post({ type: 'deployment', deployment: view });
  }

  private sendDrift(): void {
    if (!this.webviewReady) return;
    const state = this.drift;
    if (state.kind === 'pending') this.host.post({ type: 'driftPending', since: state.since });
    else if (state.kind === 'done') this.host.post({ type: 'drift', report: state.report, since: state.since });
    else if (state.kind === 'failed')
      this.host.post({ type: 'driftError', message: state.message, since: state.since });
  }

  /** Computes the report again; a report still being computed is cancelled (its answer is not wanted). */
  private async computeDrift(since: DriftSince): Promise<void> {
    this.driftAbort?.abort();
    const abort = new AbortController();
    this.driftAbort = abort;
    this.drift = { kind: 'pending', since };
    this.sendDrift();
    const seconds = durationSeconds(since);
    try {
      const options = seconds === null ? {} : { since: Date.now() / 1000 - seconds };
      const report = await this.source.drift(options, abort.signal);
      if (abort.signal.aborted) return;
      this.drift = { kind: 'done', since, report };
    } catch (error) {
      if (abort.signal.aborted) return;
      this.log.warn(`Deployment panel: the drift report of ${this.name} failed: ${errorText(error)}`);
      this.drift = { kind: 'failed', since, message: errorText(error) };
    } finally {
      if (this.driftAbort === abort) this.driftAbort = undefined;
    }
    this.sendDrift();
  }

  private report(): DriftReport | undefined {
    return this.drift.kind === 'done' ? this.drift.report : undefined;
  }

  private async openReference(): Promise<void> {
    const report = this.report();
    if (!report) {
      void vscode.window.showWarningMessage('The drift report is not ready yet: its reference file is not known.');
      return;
    }
    const path = report.reference.path;
    const uri = vscode.Uri.file(isAbsolute(path) ? path : join(this.source.workspaceRoot, path));
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      void vscode.window.showWarningMessage(`${path} no longer exists.`);
      return;
    }
    try {
      await vscode.window.showTextDocument(uri, { preview: true });
    } catch (error) {
      void vscode.window.showErrorMessage(`Could not open ${path}: ${errorText(error)}`);
    }
  }

  private async exportReport(): Promise<void> {
    const report = this.report();
    if (!report) {
      void vscode.window.showWarningMessage('There is no drift report to export yet.');
      return;
    }
    const stamp = report.generatedAt.replace(/[:.]/g, '-');
    const target = await vscode.window.showSaveDialog({
      title: 'Export Drift Report',
      defaultUri: vscode.Uri.file(join(this.source.workspaceRoot, `drift-${this.name}-${stamp}.json`)),
      filters: { JSON: ['json'] },
      saveLabel: 'Export',
    });
    if (!target) return;
    try {
      await writeFile(target.fsPath, `${JSON.stringify(report, null, 2)}\n`);
    } catch (error) {
      void vscode.window.showErrorMessage(`Could not write ${target.fsPath}: ${errorText(error)}`);
      return;
    }
    this.log.info(`Deployment panel: exported the drift report of ${this.name} to ${target.fsPath}`);
    void vscode.window.showInformationMessage(`Drift report saved to ${vscode.workspace.asRelativePath(target)}.`);
  }

  private async confirm(action: 'promote' | 'rollback'): Promise<boolean> {
    const backends = this.split?.backends ?? this.source.record()?.routing?.backends ?? [];
    const [stable, canary] = backends;
    const record = this.source.record();
    const label = (b: typeof stable) => (b && record ? backendLabel(record, b) : 'the other version');
    const [message, button] =
      action === 'promote'
        ? [`Send every request of ${this.name} to ${label(canary)} and stop ${label(stable)}?`, 'Promote']
        : [`Send every request of ${this.name} back to ${label(stable)} and stop ${label(canary)}?`, 'Roll Back'];
    return (await vscode.window.showWarningMessage(message, { modal: true }, button)) === button;
  }

  /** One action at a time, with progress; a failure is shown as the source's message. */
  private async act(title: string, run: () => Promise<void>): Promise<void> {
    if (this.busy) {
      void vscode.window.showInformationMessage(`${this.busy} ${this.name} is still under way.`);
      return;
    }
    this.busy = title;
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `${title} ${this.name}…` },
        run,
      );
    } catch (error) {
      this.log.error(`Deployment panel: ${title.toLowerCase()} ${this.name} failed`, error);
      void vscode.window.showErrorMessage(`${title} ${this.name} failed: ${errorText(error)}`);
    } finally {
      this.busy = undefined;
    }
    if (!this.disposed && this.webviewReady) await this.sendDeployment(true);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.driftAbort?.abort();
    this.driftAbort = undefined;
    for (const [key, panel] of DeploymentPanel.open) if (panel === this) DeploymentPanel.open.delete(key);
    this.host.dispose();
  }
}

function panelKey(root: string, target: string, name: string): string {
  return JSON.stringify([root, target, name]);
}

type RecordBackend = NonNullable<DeploymentRecord['routing']>['backends'][number];

function backendLabel(record: DeploymentRecord, backend: RecordBackend): string {
  return servedVersion({ ...record, labels: backend.labels, digest: backend.digest }).label;
}

/** What the header shows: the record, and its split while two versions share the requests. */
export function deploymentView(
  target: string,
  name: string,
  record: DeploymentRecord | undefined,
  split: TrafficSplit | undefined,
): DeploymentView {
  if (!record) {
    return {
      name,
      target,
      status: 'missing',
      endpoint: null,
      modelName: null,
      version: null,
      versionLabels: {},
      split: null,
      updatedAt: null,
    };
  }
  const versionLabels: Record<string, string> = { [record.digest]: servedVersion(record).label };
  const recorded = record.routing?.backends ?? [];
  for (const backend of recorded) versionLabels[backend.digest] = backendLabel(record, backend);
  // The recorded split is the truth of what was asked; the router's answer adds its live counts.
  const live = new Map((split?.backends ?? []).map((b) => [b.slot, b.live]));
  const backends =
    recorded.length === 2
      ? recorded.map((backend) => {
          const state = live.get(backend.slot) ?? null;
          return {
            slot: backend.slot,
            digest: backend.digest,
            label: versionLabels[backend.digest] ?? backend.digest,
            weight: backend.weight,
            live: state ? { weight: state.weight, inflight: state.inflight, requests: state.requests } : null,
          };
        })
      : null;
  return {
    name,
    target,
    status: record.status,
    endpoint: record.endpoint ?? null,
    modelName: record.modelName,
    version: servedVersion(record).label,
    versionLabels,
    split: backends,
    updatedAt: record.updatedAt,
  };
}
