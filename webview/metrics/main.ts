import { LitElement, css, html } from 'lit';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { TopLevelSpec } from 'vega-lite';
import { z } from 'zod';
import {
  MetricsNotificationSchema,
  type MetricSeries,
  type MetricsCommand,
  type MetricsNotification,
  type RunHeader,
} from '../../src/protocol/metrics';
import { drawChart } from '../shared/vega-chart';
import { WebviewMessenger } from '../shared/webview-messenger';

const ALL_KEYS = '';
const ViewStateSchema = z.object({ key: z.string() });

/** The newest run's metrics as one chart; the metric picker is UI state kept across reloads. */
class LatestRunView extends LitElement {
  static override properties = {
    run: { state: true },
    series: { state: true },
    error: { state: true },
    selectedKey: { state: true },
  };

  static override styles = css`
    :host {
      display: block;
    }
    header {
      display: flex;
      align-items: center;
      gap: 12px;
      flex-wrap: wrap;
    }
    .toolbar {
      display: flex;
      align-items: center;
      gap: 8px;
      margin: 12px 0;
    }
    .chart {
      width: 100%;
      min-height: 320px;
    }
    h1 {
      font-size: 1.4em;
      font-weight: 600;
      margin: 16px 0 4px;
    }
    .muted {
      color: var(--vscode-descriptionForeground);
    }
    .error {
      color: var(--vscode-errorForeground);
    }
  `;

  declare run: RunHeader | null | undefined;
  declare series: MetricSeries[];
  declare error: string | undefined;
  declare selectedKey: string;

  private readonly messenger = new WebviewMessenger<MetricsCommand, MetricsNotification>(
    MetricsNotificationSchema,
    (n) => this.onNotification(n),
  );

  constructor() {
    super();
    this.run = undefined;
    this.series = [];
    this.error = undefined;
    this.selectedKey = this.messenger.getState(ViewStateSchema)?.key ?? ALL_KEYS;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.messenger.send({ type: 'ready' });
  }

  private onNotification(notification: MetricsNotification): void {
    switch (notification.type) {
      case 'snapshot':
        this.error = undefined;
        this.run = notification.run;
        this.series = notification.series;
        break;
      case 'error':
        this.error = notification.message;
        break;
    }
  }

  private onKeyChange(event: Event): void {
    this.selectedKey = (event.target as HTMLSelectElement).value;
    this.messenger.setState({ key: this.selectedKey });
  }

  override render() {
    if (this.error) return html`<p class="error" role="alert">${this.error}</p>`;
    if (this.run === undefined) return html`<p class="muted">Loading…</p>`;
    if (this.run === null) {
      return html`<h1>No runs yet</h1>
        <p class="muted">Run a training script with tracking and its metrics appear here.</p>`;
    }
    const keys = this.series.map((s) => s.key);
    return html`
      <header>
        <h1>${this.run.name}</h1>
        <vscode-badge>${this.run.status}</vscode-badge>
        <span class="muted">${this.run.experiment} · ${new Date(this.run.createdAt).toLocaleString()}</span>
      </header>
      <div class="toolbar">
        <vscode-single-select aria-label="Metric" .value=${this.selectedKey} @change=${this.onKeyChange}>
          <vscode-option value=${ALL_KEYS}>All metrics</vscode-option>
          ${keys.map((k) => html`<vscode-option value=${k}>${k}</vscode-option>`)}
        </vscode-single-select>
        <vscode-button secondary @click=${() => this.messenger.send({ type: 'refresh' })}>Refresh</vscode-button>
      </div>
      ${
        keys.length === 0
          ? html`<p class="muted">This run has logged no metrics yet.</p>`
          : html`<div class="chart" id="chart"></div>`
      }
    `;
  }

  override updated(): void {
    const element = this.renderRoot.querySelector<HTMLElement>('#chart');
    if (!element) return;
    const shown = this.selectedKey ? this.series.filter((s) => s.key === this.selectedKey) : this.series;
    drawChart(element, lineSpec(shown)).catch((error: unknown) => {
      this.error = `The chart could not be drawn: ${(error as Error).message}`;
    });
  }
}

function lineSpec(series: MetricSeries[]): TopLevelSpec {
  const values = series.flatMap((s) => s.points.map((p) => ({ key: s.key, step: p.step, value: p.value })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 'container',
    height: 300,
    data: { values },
    mark: { type: 'line', point: values.length <= 200, tooltip: true },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
      color: { field: 'key', type: 'nominal', title: 'metric' },
    },
  };
}

customElements.define('trackside-latest-run', LatestRunView);
document.body.append(document.createElement('trackside-latest-run'));
