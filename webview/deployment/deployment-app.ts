import { LitElement, css, html, nothing } from 'lit';
import { formatNumber } from '../../src/core/format/numbers';
import type { MetricsWindow } from '../../src/core/monitoring/metrics';
import {
  DeploymentNotificationSchema,
  type DeploymentCommand,
  type DeploymentNotification,
  type DeploymentView,
  type SplitBackend,
} from '../../src/protocol/deployment';
import { styleProperties } from '../shared/style-properties';
import { WebviewMessenger } from '../shared/webview-messenger';
import './drift-section';
import type { DriftView } from './drift-section';
import './traffic-chart';
import { TRAFFIC_METRICS } from './traffic-specs';

/**
 * The Deployment panel's root: the deployment's header (and its canary split with the actions on
 * it), the Traffic charts and the Drift report. Everything shown comes from the host; the webview
 * keeps only what the user is typing into the split editor.
 */
export class DeploymentApp extends LitElement {
  static override properties = {
    deployment: { state: true },
    windows: { state: true },
    drift: { state: true },
    splitDraft: { state: true },
    splitProblem: { state: true },
  };

  static override styles = css`
    :host {
      display: block;
      padding-bottom: 16px;
    }
    header {
      margin-bottom: 8px;
    }
    .title {
      display: flex;
      align-items: baseline;
      gap: 10px;
      min-width: 0;
    }
    h1 {
      font-size: 1.4em;
      font-weight: 600;
      margin: 14px 0 4px;
      min-width: 0;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    h2 {
      font-size: 0.85em;
      font-weight: 600;
      text-transform: uppercase;
      letter-spacing: 0.04em;
      color: var(--vscode-panelTitle-activeForeground, var(--vscode-foreground));
      border-bottom: 1px solid var(--vscode-panel-border, var(--vscode-editorWidget-border, transparent));
      padding-bottom: 4px;
      margin: 18px 0 8px;
    }
    .status {
      flex: none;
      padding: 1px 8px;
      border-radius: 10px;
      font-size: 0.85em;
      background: var(--vscode-badge-background);
      color: var(--vscode-badge-foreground);
    }
    .status.ready {
      background: var(--vscode-testing-iconPassed, var(--vscode-charts-green));
      color: var(--vscode-editor-background);
    }
    .status.failed,
    .status.missing {
      background: var(--vscode-errorForeground);
      color: var(--vscode-editor-background);
    }
    dl {
      display: grid;
      grid-template-columns: max-content minmax(0, 1fr);
      gap: 2px 12px;
      margin: 6px 0 0;
    }
    dt {
      color: var(--vscode-descriptionForeground);
    }
    dd {
      margin: 0;
      min-width: 0;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    code {
      font-family: var(--vscode-editor-font-family);
      font-size: var(--vscode-editor-font-size);
    }
    .split {
      margin-top: 10px;
      padding: 8px 12px;
      border: 1px solid var(--vscode-panel-border, var(--vscode-editorWidget-border, transparent));
      border-radius: 4px;
    }
    .backends {
      display: flex;
      flex-wrap: wrap;
      gap: 6px 24px;
      margin-bottom: 8px;
    }
    .backend {
      display: flex;
      align-items: center;
      gap: 8px;
      min-width: 0;
      max-width: 100%;
    }
    .backend .label {
      min-width: 0;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .weight {
      font-weight: 600;
      font-variant-numeric: tabular-nums;
    }
    .bar {
      display: flex;
      height: 6px;
      border-radius: 3px;
      overflow: hidden;
      margin-bottom: 8px;
      background: var(--vscode-editorWidget-border, rgba(128, 128, 128, 0.3));
    }
    .bar .a {
      background: var(--vscode-charts-blue, #3794ff);
    }
    .bar .b {
      background: var(--vscode-charts-orange, #d18616);
    }
    .dot {
      flex: none;
      width: 8px;
      height: 8px;
      border-radius: 50%;
    }
    .dot.a {
      background: var(--vscode-charts-blue, #3794ff);
    }
    .dot.b {
      background: var(--vscode-charts-orange, #d18616);
    }
    .actions {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 8px;
    }
    .actions vscode-textfield {
      width: 80px;
    }
    .muted {
      color: var(--vscode-descriptionForeground);
    }
    .error {
      color: var(--vscode-errorForeground);
    }
    .charts {
      display: grid;
      grid-template-columns: repeat(auto-fit, minmax(260px, 1fr));
      gap: 10px;
    }
    .empty {
      padding: 12px;
      border: 1px dashed var(--vscode-panel-border, var(--vscode-editorWidget-border, rgba(128, 128, 128, 0.4)));
      border-radius: 4px;
      overflow-wrap: anywhere;
    }
    .empty p {
      margin: 0 0 4px;
    }
  `;

  declare deployment: DeploymentView | undefined;
  declare windows: MetricsWindow[];
  declare drift: DriftView;
  /** The canary share being typed into the split editor; undefined while it is closed. */
  declare splitDraft: string | undefined;
  declare splitProblem: string;

  private readonly messenger = new WebviewMessenger<DeploymentCommand, DeploymentNotification>(
    DeploymentNotificationSchema,
    (n) => this.onNotification(n),
  );
  private readonly send = (command: DeploymentCommand) => this.messenger.send(command);

  constructor() {
    super();
    this.deployment = undefined;
    this.windows = [];
    this.drift = { kind: 'none' };
    this.splitDraft = undefined;
    this.splitProblem = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.messenger.send({ type: 'ready' });
  }

  private onNotification(notification: DeploymentNotification): void {
    switch (notification.type) {
      case 'deployment':
        this.deployment = notification.deployment;
        if (!notification.deployment.split) this.splitDraft = undefined;
        break;
      case 'metrics':
        this.windows = notification.windows;
        break;
      case 'driftPending':
        this.drift = { kind: 'pending', since: notification.since, previous: this.shownReport() };
        break;
      case 'drift':
        this.drift = { kind: 'done', since: notification.since, report: notification.report };
        break;
      case 'driftError':
        this.drift = { kind: 'failed', since: notification.since, message: notification.message };
        break;
    }
  }

  private shownReport() {
    if (this.drift.kind === 'done') return this.drift.report;
    if (this.drift.kind === 'pending') return this.drift.previous;
    return undefined;
  }

  override render() {
    const d = this.deployment;
    if (!d) return html`<p class="muted">Loading the deployment…</p>`;
    return html`
      ${this.header(d)}
      <section aria-labelledby="traffic">
        <h2 id="traffic">Traffic</h2>
        ${this.traffic(d)}
      </section>
      <section aria-labelledby="drift">
        <h2 id="drift">Drift</h2>
        <trackside-drift-section
          .drift=${this.drift}
          .labels=${d.versionLabels}
          .send=${this.send}
        ></trackside-drift-section>
      </section>
    `;
  }

  private header(d: DeploymentView) {
    const infer = inferUrl(d);
    return html`<header>
      <div class="title">
        <h1 title=${d.name}>${d.name}</h1>
        <span class="status ${d.status}">${d.status === 'missing' ? 'no record' : d.status}</span>
      </div>
      <dl>
        <dt>Target</dt>
        <dd title=${d.target}>${d.target}</dd>
        <dt>Endpoint</dt>
        <dd title=${infer ?? ''}>
          ${d.endpoint ? html`<code>${d.endpoint}</code>` : html`<span class="muted">none</span>`}
        </dd>
        <dt>Serving</dt>
        <dd title=${d.version ?? ''}>${d.version ?? '-'}</dd>
      </dl>
      ${d.split ? this.splitView(d.split) : nothing}
    </header>`;
  }

  private splitView(split: SplitBackend[]) {
    const canary = split[1];
    return html`<div class="split" aria-label="Traffic split">
      <div class="bar" role="presentation">
        ${split.map(
          (b) =>
            html`<span
              class=${b.slot}
              style=${styleProperties({ flex: `${b.weight} 0 0` })}
              data-weight=${b.weight}
            ></span>`,
        )}
      </div>
      <div class="backends">
        ${split.map(
          (b, i) =>
            html`<span class="backend">
              <span class="dot ${b.slot}"></span>
              <span class="label" title=${`${b.label} (${b.digest})`}>${b.label}</span>
              <span class="weight">${formatNumber(b.weight)} %</span>
              <span class="muted">${i === 0 ? 'serving' : 'canary'}${liveText(b)}</span>
            </span>`,
        )}
      </div>
      <div class="actions">
        ${
          this.splitDraft === undefined
            ? html`<vscode-button
                  secondary
                  @click=${() => {
                    this.splitDraft = String(canary?.weight ?? 0);
                    this.splitProblem = '';
                  }}
                  >Set Split…</vscode-button
                >
                <vscode-button @click=${() => this.send({ type: 'promote' })}>Promote</vscode-button>
                <vscode-button secondary @click=${() => this.send({ type: 'rollback' })}>Roll Back</vscode-button>`
            : html`<label for="canary-share">Canary share</label>
                <vscode-textfield
                  id="canary-share"
                  type="number"
                  min="0"
                  max="100"
                  step="1"
                  .value=${this.splitDraft}
                  @input=${(e: Event) => (this.splitDraft = (e.target as HTMLInputElement).value)}
                  @keydown=${(e: KeyboardEvent) => {
                    if (e.key === 'Enter') this.applySplit();
                    if (e.key === 'Escape') this.splitDraft = undefined;
                  }}
                ></vscode-textfield>
                <span>%</span>
                <vscode-button @click=${() => this.applySplit()}>Apply</vscode-button>
                <vscode-button secondary @click=${() => (this.splitDraft = undefined)}>Cancel</vscode-button>
                ${this.splitProblem ? html`<span class="error" role="alert">${this.splitProblem}</span>` : nothing}`
        }
      </div>
    </div>`;
  }

  private applySplit(): void {
    const text = (this.splitDraft ?? '').trim();
    const percent = Number(text);
    if (text === '' || !Number.isInteger(percent) || percent < 0 || percent > 100) {
      this.splitProblem = 'Enter a whole percent from 0 to 100.';
      return;
    }
    this.send({ type: 'setSplit', percent });
    this.splitDraft = undefined;
    this.splitProblem = '';
  }

  private traffic(d: DeploymentView) {
    if (this.windows.length === 0) {
      const infer = inferUrl(d);
      return html`<div class="empty">
        ${
          d.status !== 'ready'
            ? html`<p>
                ${d.name} is ${d.status === 'missing' ? 'not deployed' : d.status}: its traffic shows while it serves.
              </p>`
            : html`<p>No requests yet: send traffic to <code>${infer ?? `${d.name}'s endpoint`}</code>.</p>
                <p class="muted">
                  The charts fill in as Trackside reads the deployment's /metrics every few seconds ("Trackside: Send
                  Test Request" sends one).
                </p>`
        }
      </div>`;
    }
    return html`<div class="charts">
      ${TRAFFIC_METRICS.map(
        (m) =>
          html`<trackside-traffic-chart
            .metric=${m.metric}
            .windows=${this.windows}
            .labels=${d.versionLabels}
          ></trackside-traffic-chart>`,
      )}
    </div>`;
  }
}

function inferUrl(d: DeploymentView): string | undefined {
  if (!d.endpoint) return undefined;
  return `${d.endpoint.replace(/\/+$/, '')}/v2/models/${encodeURIComponent(d.modelName ?? d.name)}/infer`;
}

function liveText(backend: SplitBackend): string {
  const live = backend.live;
  if (!live) return ' · router not answering';
  const weight = live.weight === backend.weight ? '' : ` · router sends ${formatNumber(live.weight)} %`;
  return `${weight} · ${formatNumber(live.requests)} requests`;
}

customElements.define('trackside-deployment', DeploymentApp);
