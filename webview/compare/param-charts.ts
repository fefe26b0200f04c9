import { LitElement, css, html } from 'lit';
import type { Result } from 'vega-embed';
import { resolveColumn } from '../../src/core/compare/columns';
import { parallelCoordinates, scatterPoints } from '../../src/core/compare/param-plots';
import { differingParamKeys } from '../../src/core/compare/table';
import type { CompareViewState } from '../../src/protocol/compare';
import { drawChart } from '../shared/vega-chart';
import type { AppContext } from './app-context';
import { parallelSpec, scatterSpec } from './chart-specs';

/** The Params tab: parallel coordinates over the params that differ and a metric; a param against a metric. */
export class ParamCharts extends LitElement {
  static override properties = { ctx: { attribute: false }, message: { state: true } };

  static override styles = css`
    :host {
      display: block;
    }
    .controls {
      display: flex;
      flex-wrap: wrap;
      gap: 8px 16px;
      align-items: center;
      margin-bottom: 8px;
    }
    label {
      display: inline-flex;
      align-items: center;
      gap: 6px;
    }
    section {
      border: 1px solid var(--vscode-panel-border, transparent);
      border-radius: 4px;
      padding: 8px 12px;
      margin-bottom: 12px;
    }
    h3 {
      margin: 0 0 6px;
      font-size: 1em;
      display: flex;
      gap: 6px;
      align-items: center;
    }
    h3 span {
      flex: 1;
    }
    .plot {
      width: 100%;
      min-height: 280px;
    }
    .muted {
      color: var(--vscode-descriptionForeground);
    }
  `;

  declare ctx: AppContext;
  declare message: string;
  private readonly results = new Map<string, Result>();
  private lastShape = '';

  constructor() {
    super();
    this.message = '';
  }

  private choice(): { metric: string | null; param: string | null; varying: string[] } {
    const { table, view, state } = this.ctx;
    const varying = differingParamKeys(table, view.rows);
    const metric =
      state.paramChart.metric && table.metricKeys.includes(state.paramChart.metric)
        ? state.paramChart.metric
        : (table.metricKeys[0] ?? null);
    const param =
      state.paramChart.scatterParam && table.paramKeys.includes(state.paramChart.scatterParam)
        ? state.paramChart.scatterParam
        : (varying[0] ?? table.paramKeys[0] ?? null);
    return { metric, param, varying };
  }

  private set(patch: Partial<CompareViewState['paramChart']>): void {
    this.ctx.update({ paramChart: { ...this.ctx.state.paramChart, ...patch } });
  }

  override render() {
    const { table } = this.ctx;
    const { metric, param } = this.choice();
    if (table.paramKeys.length === 0) return html`<p class="muted">These runs have no params to plot.</p>`;
    return html`
      <div class="controls">
        <label
          >Metric
          <vscode-single-select
            aria-label="Metric"
            .value=${metric ?? ''}
            @change=${(e: Event) => this.set({ metric: (e.target as HTMLSelectElement).value || null })}
          >
            ${table.metricKeys.map((k) => html`<vscode-option value=${k}>${k}</vscode-option>`)}
          </vscode-single-select></label
        >
        <label
          >Scatter param
          <vscode-single-select
            aria-label="Scatter param"
            .value=${param ?? ''}
            @change=${(e: Event) => this.set({ scatterParam: (e.target as HTMLSelectElement).value || null })}
          >
            ${table.paramKeys.map((k) => html`<vscode-option value=${k}>${k}</vscode-option>`)}
          </vscode-single-select></label
        >
        <span class="muted">${this.message}</span>
      </div>
      <section>
        <h3><span>Parallel coordinates</span>${this.exportButtons('parallel')}</h3>
        <div class="plot" id="parallel"></div>
      </section>
      <section>
        <h3><span>${param ?? ''} against ${metric ?? ''}</span>${this.exportButtons('scatter')}</h3>
        <div class="plot" id="scatter"></div>
      </section>
    `;
  }

  private exportButtons(which: string) {
    return html`<vscode-button secondary @click=${() => this.exportImage(which, 'png')}>PNG</vscode-button>
      <vscode-button secondary @click=${() => this.exportImage(which, 'svg')}>SVG</vscode-button>`;
  }

  override updated(): void {
    const { table, view } = this.ctx;
    const { metric, param, varying } = this.choice();
    const shape = JSON.stringify([
      view.rows.map((r) => r.id),
      metric,
      param,
      table.rows.length,
      document.body.className,
    ]);
    if (shape === this.lastShape) return;
    this.lastShape = shape;
    const metricColumn = metric ? resolveColumn(`metric:${metric}`, 'last') : null;
    const axesKeys = varying.length > 0 ? varying : table.paramKeys;
    const parallel = parallelCoordinates(table, view.rows, axesKeys, metricColumn);
    void this.draw('parallel', parallelSpec(parallel.axes, parallel.points));
    if (param && metricColumn) {
      const scatter = scatterPoints(table, view.rows, param, metricColumn);
      const numeric = scatter.every((p) => typeof p.x === 'number');
      void this.draw('scatter', scatterSpec(param, `${metric} (last)`, numeric, scatter));
    }
  }

  private async draw(id: string, spec: Parameters<typeof drawChart>[1]): Promise<void> {
    const element = this.renderRoot.querySelector<HTMLElement>(`#${id}`);
    if (!element) return;
    try {
      this.results.get(id)?.finalize();
      this.results.set(id, await drawChart(element, spec));
    } catch (error) {
      this.message = `A chart could not be drawn: ${(error as Error).message}`;
    }
  }

  private async exportImage(which: string, format: 'png' | 'svg'): Promise<void> {
    const view = this.results.get(which)?.view;
    if (!view) return;
    const data = format === 'png' ? await view.toImageURL('png', 2) : await view.toSVG();
    this.ctx.send({ type: 'saveImage', format, name: which, data });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const result of this.results.values()) result.finalize();
    this.results.clear();
  }
}

customElements.define('trackside-param-charts', ParamCharts);
