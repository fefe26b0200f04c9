import { LitElement, css, html } from 'lit';
import type { Result } from 'vega-embed';
import type { MetricsWindow } from '../../src/core/monitoring/metrics';
import { drawChart } from '../shared/vega-chart';
import {
  POINTS_DATA,
  TRAFFIC_METRICS,
  trafficPoints,
  trafficSpec,
  trafficVersions,
  type TrafficMetric,
} from './traffic-specs';

/**
 * One Traffic chart. New windows replace the drawn data in place; the chart is drawn anew only when
 * the set of versions (its colours and legend) or the theme changes.
 */
export class TrafficChart extends LitElement {
  static override properties = {
    metric: {},
    windows: { attribute: false },
    labels: { attribute: false },
    message: { state: true },
  };

  static override styles = css`
    :host {
      display: block;
      min-width: 0;
      border: 1px solid var(--vscode-panel-border, transparent);
      border-radius: 4px;
      padding: 6px 10px 4px;
    }
    h3 {
      margin: 0 0 4px;
      font-size: 1em;
      font-weight: 600;
    }
    .plot {
      width: 100%;
      min-height: 150px;
    }
    .note {
      color: var(--vscode-descriptionForeground);
      font-size: 0.9em;
    }
  `;

  declare metric: TrafficMetric;
  declare windows: readonly MetricsWindow[];
  declare labels: Readonly<Record<string, string>>;
  declare message: string;

  private result: Result | undefined;
  private drawnShape = '';
  private drawing: Promise<void> = Promise.resolve();
  private readonly themeObserver = new MutationObserver(() => this.schedule(true));

  constructor() {
    super();
    this.windows = [];
    this.labels = {};
    this.message = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.themeObserver.disconnect();
    this.result?.finalize();
    this.result = undefined;
    this.drawnShape = '';
  }

  override render() {
    const title = TRAFFIC_METRICS.find((m) => m.metric === this.metric)?.title ?? this.metric;
    return html`
      <h3>${title}</h3>
      <div class="plot" data-metric=${this.metric}></div>
      ${this.message ? html`<div class="note">${this.message}</div>` : ''}
    `;
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has('windows') || changed.has('labels') || changed.has('metric')) this.schedule(false);
  }

  /** Draws one at a time, so a burst of updates never has two embeds racing for the element. */
  private schedule(themeChanged: boolean): void {
    this.drawing = this.drawing.then(() => this.draw(themeChanged));
  }

  private async draw(themeChanged: boolean): Promise<void> {
    const element = this.renderRoot.querySelector<HTMLElement>('.plot');
    if (!element || !this.isConnected) return;
    const versions = trafficVersions(this.windows, this.labels);
    const points = trafficPoints(this.windows, this.labels, this.metric);
    const shape = JSON.stringify([this.metric, versions]);
    try {
      if (this.result && shape === this.drawnShape && !themeChanged) {
        this.result.view.data(POINTS_DATA, points);
        await this.result.view.runAsync();
      } else {
        this.result?.finalize();
        this.result = undefined;
        this.result = await drawChart(element, trafficSpec(this.metric, versions, points));
        this.drawnShape = shape;
      }
      this.dataset.points = String(points.length);
      if (this.message) this.message = '';
    } catch (error) {
      this.message = `The chart could not be drawn: ${(error as Error).message}`;
    }
  }
}

customElements.define('trackside-traffic-chart', TrafficChart);
