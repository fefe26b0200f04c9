import { LitElement, css, html, nothing } from 'lit';
import { isSystemMetric } from '../../src/core/metrics/system-keys';
import type { XAxis } from '../../src/core/store/metric-series';
import type { CompareViewState } from '../../src/protocol/compare';
import type { AppContext } from './app-context';
import './metric-chart';
import type { ChartSettings } from './metric-chart';

const DEFAULT_CHART_COUNT = 6;

/** The Charts tab: which metrics, the x axis, smoothing, log scale, grouping; one chart per metric. */
export class ChartsPanel extends LitElement {
  static override properties = { ctx: { attribute: false }, keys: { attribute: false } };

  static override styles = css`
    :host {
      display: block;
    }
    .controls {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 6px 16px;
      margin-bottom: 8px;
    }
    .keys {
      display: flex;
      flex-wrap: wrap;
      gap: 4px 12px;
      margin-bottom: 8px;
    }
    label {
      display: inline-flex;
      align-items: center;
      gap: 6px;
    }
    input[type='range'] {
      width: 120px;
      accent-color: var(--vscode-button-background);
    }
    .grid {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(520px, 1fr));
      gap: 12px;
    }
    .muted {
      color: var(--vscode-descriptionForeground);
    }
    .system h3 {
      font-size: 1em;
      font-weight: 600;
      margin: 16px 0 8px;
    }
    .system h3 .muted {
      font-weight: normal;
    }
  `;

  declare ctx: AppContext;
  /** Metric keys available (the table's, or the run's in the run view). */
  declare keys: string[];

  constructor() {
    super();
    this.keys = [];
  }

  private chart(patch: Partial<CompareViewState['chart']>): void {
    this.ctx.update({ chart: { ...this.ctx.state.chart, ...patch } });
  }

  /** What the user ticked; until then the first model metrics and every system metric. */
  private shownKeys(): string[] {
    const chosen = this.ctx.state.chart.keys.filter((k) => this.keys.includes(k));
    if (chosen.length > 0) return chosen;
    const model = this.keys.filter((k) => !isSystemMetric(k)).slice(0, DEFAULT_CHART_COUNT);
    return [...model, ...this.keys.filter(isSystemMetric)];
  }

  override render() {
    const { chart } = this.ctx.state;
    const shown = this.shownKeys();
    const modelKeys = this.keys.filter((k) => !isSystemMetric(k));
    const systemKeys = this.keys.filter(isSystemMetric);
    const shownSystem = shown.filter(isSystemMetric);
    const settings: ChartSettings = {
      axis: chart.axis,
      smoothing: chart.smoothing,
      logScale: chart.logScale,
      // One run's view has nothing to group (and no control to undo a grouping chosen in Compare).
      groupBy: this.ctx.state.mode === 'compare' ? chart.groupBy : null,
    };
    if (this.keys.length === 0) return html`<p class="muted">These runs have logged no metrics yet.</p>`;
    return html`
      <div class="controls">
        <label
          >x
          <vscode-single-select
            id="x-axis"
            aria-label="x axis"
            .value=${chart.axis}
            @change=${(e: Event) => this.chart({ axis: (e.target as HTMLSelectElement).value as XAxis })}
          >
            <vscode-option value="step">step</vscode-option>
            <vscode-option value="wall">wall time</vscode-option>
            <vscode-option value="relative">relative time</vscode-option>
          </vscode-single-select></label
        >
        <label
          >Smoothing
          <input
            id="smoothing"
            type="range"
            min="0"
            max="0.99"
            step="0.01"
            .value=${String(chart.smoothing)}
            @change=${(e: Event) => this.chart({ smoothing: Number((e.target as HTMLInputElement).value) })}
          />
          <span>${chart.smoothing.toFixed(2)}</span></label
        >
        <vscode-checkbox
          id="log-scale"
          label="Log scale"
          .checked=${chart.logScale}
          @change=${(e: Event) => this.chart({ logScale: (e.target as HTMLInputElement).checked })}
        ></vscode-checkbox>
        ${
          this.ctx.state.mode === 'compare'
            ? html`<label
                >Group by
                <vscode-single-select
                  id="group-by"
                  aria-label="Group by"
                  .value=${chart.groupBy ?? ''}
                  @change=${(e: Event) => this.chart({ groupBy: (e.target as HTMLSelectElement).value || null })}
                >
                  <vscode-option value="">(no grouping)</vscode-option>
                  ${this.ctx.table.paramKeys.map((k) => html`<vscode-option value=${k}>${k}</vscode-option>`)}
                </vscode-single-select></label
              >`
            : nothing
        }
        <span class="muted">${this.ctx.chartNote}</span>
      </div>
      ${this.renderKeys('Metrics to chart', modelKeys, shown)}
      ${this.renderKeys('System metrics to chart', systemKeys, shown)}
      ${this.renderGrid(
        shown.filter((k) => !isSystemMetric(k)),
        settings,
      )}
      ${
        shownSystem.length > 0
          ? html`<section class="system" aria-label="System charts">
              <h3>System <span class="muted">(CPU and memory of the run's processes, GPUs it may use)</span></h3>
              ${this.renderGrid(shownSystem, settings)}
            </section>`
          : nothing
      }
    `;
  }

  private renderKeys(label: string, keys: string[], shown: string[]) {
    if (keys.length === 0) return nothing;
    return html`<div class="keys" role="group" aria-label=${label}>
      ${keys.map(
        (k) =>
          html`<vscode-checkbox
            label=${k}
            .checked=${shown.includes(k)}
            @change=${(e: Event) => this.toggleKey(k, (e.target as HTMLInputElement).checked)}
          ></vscode-checkbox>`,
      )}
    </div>`;
  }

  private renderGrid(keys: string[], settings: ChartSettings) {
    return html`<div class="grid">
      ${keys.map(
        (key) =>
          html`<trackside-metric-chart
            .key=${key}
            .runs=${this.ctx.chartRuns}
            .settings=${settings}
            .broker=${this.ctx.broker}
            .send=${this.ctx.send}
          ></trackside-metric-chart>`,
      )}
    </div>`;
  }

  private toggleKey(key: string, checked: boolean): void {
    const shown = this.shownKeys();
    const next = checked ? [...shown, key] : shown.filter((k) => k !== key);
    this.chart({ keys: this.keys.filter((k) => next.includes(k)) });
  }
}

customElements.define('trackside-charts-panel', ChartsPanel);
