import { LitElement, css, html } from 'lit';
import type { Result } from 'vega-embed';
import type { XAxis } from '../../src/core/store/metric-series';
import type { CompareCommand, CompareNotification } from '../../src/protocol/compare';
import { drawChart } from '../shared/vega-chart';
import { LINES_DATA, bandsSpec, leanVegaSpec, overlaySpec, type BandDatum, type LinePoint } from './chart-specs';
import type { SeriesBroker, SeriesSubscriber } from './series-broker';

type SeriesAnswer = Extract<CompareNotification, { type: 'series' }>;
type AppendBatch = Extract<CompareNotification, { type: 'append' }>;

export interface ChartRun {
  id: string;
  label: string;
}

export interface ChartSettings {
  axis: XAxis;
  smoothing: number;
  logScale: boolean;
  groupBy: string | null;
}

/** Most points per line however wide the chart: the host downsamples to this. */
const MAX_POINTS = 2000;
const ZOOM_SETTLE_MS = 250;

/**
 * One metric's chart: asks the host for lines shaped to its width, redraws with finer points when
 * the user zooms (wheel) or pans (drag), appends live points as they come, and exports itself.
 */
export class MetricChart extends LitElement implements SeriesSubscriber {
  static override properties = {
    key: {},
    runs: { attribute: false },
    settings: { attribute: false },
    broker: { attribute: false },
    send: { attribute: false },
    message: { state: true },
  };

  static override styles = css`
    :host {
      display: block;
      border: 1px solid var(--vscode-panel-border, transparent);
      border-radius: 4px;
      padding: 8px 12px 4px;
      background: var(--vscode-editor-background);
    }
    header {
      display: flex;
      align-items: center;
      gap: 6px;
    }
    h3 {
      flex: 1;
      margin: 0;
      font-size: 1em;
      font-weight: 600;
    }
    .plot {
      width: 100%;
      min-height: 270px;
    }
    .note {
      color: var(--vscode-descriptionForeground);
      font-size: 0.9em;
      min-height: 1.2em;
    }
  `;

  declare key: string;
  declare runs: ChartRun[];
  declare settings: ChartSettings;
  declare broker: SeriesBroker;
  declare send: (command: CompareCommand) => void;
  declare message: string;

  private requestId: number | undefined;
  private zoomRequest = false;
  private result: Result | undefined;
  private values: LinePoint[] | BandDatum[] = [];
  private grouped = false;
  /** The request whose answer is drawn. */
  private answeredId: number | undefined;
  private pointCount = 0;
  private zoomTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly themeObserver = new MutationObserver(() => void this.redraw());
  private lastRequestShape = '';
  private lastDrawShape = '';

  constructor() {
    super();
    this.runs = [];
    this.message = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.themeObserver.disconnect();
    this.broker?.release(this.requestId);
    this.result?.finalize();
    this.result = undefined;
  }

  override render() {
    return html`
      <header>
        <h3>${this.key}</h3>
        <vscode-button secondary title="Save as PNG" @click=${() => this.exportImage('png')}>PNG</vscode-button>
        <vscode-button secondary title="Save as SVG" @click=${() => this.exportImage('svg')}>SVG</vscode-button>
      </header>
      <div class="plot" data-key=${this.key}></div>
      <div class="note">${this.message}</div>
    `;
  }

  override updated(changed: Map<string, unknown>): void {
    const shape = JSON.stringify([
      this.key,
      this.runs.map((r) => r.id),
      this.settings.axis,
      this.settings.smoothing,
      this.settings.groupBy,
    ]);
    if (shape !== this.lastRequestShape) {
      this.lastRequestShape = shape;
      this.lastDrawShape = JSON.stringify([this.runs.map((r) => r.label), this.settings.logScale]);
      this.requestSeries(null);
      return;
    }
    const drawShape = JSON.stringify([this.runs.map((r) => r.label), this.settings.logScale]);
    if ((changed.has('settings') || changed.has('runs')) && drawShape !== this.lastDrawShape) {
      this.lastDrawShape = drawShape;
      void this.redraw();
    }
  }

  private plot(): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>('.plot');
  }

  private maxPoints(): number {
    const width = this.plot()?.clientWidth ?? 800;
    return Math.max(100, Math.min(MAX_POINTS, Math.round(width)));
  }

  private requestSeries(domain: [number, number] | null): void {
    if (!this.broker || this.runs.length === 0) return;
    this.zoomRequest = domain !== null;
    this.requestId = this.broker.request(this, this.requestId, {
      key: this.key,
      runIds: this.runs.map((r) => r.id),
      view: { axis: this.settings.axis, smoothing: this.settings.smoothing, maxPoints: this.maxPoints(), domain },
      groupBy: this.settings.groupBy,
      live: true,
    });
  }

  onSeries(answer: SeriesAnswer): void {
    const labels = new Map(this.runs.map((r) => [r.id, r.label]));
    // The same request answered again: a live grouped chart's new bands, drawn without a redraw.
    const liveBands = answer.bands !== null && this.grouped && answer.requestId === this.answeredId;
    this.answeredId = answer.requestId;
    if (answer.bands) {
      this.grouped = true;
      this.values = answer.bands;
      this.pointCount = answer.bands.length;
      this.message = answer.bands.length === 0 ? 'No points to draw.' : '';
    } else {
      this.grouped = false;
      const values: LinePoint[] = [];
      let total = 0;
      for (const line of answer.lines) {
        const run = labels.get(line.runId) ?? line.runId;
        total += line.total;
        for (let i = 0; i < line.x.length; i++) {
          values.push({ run, x: line.x[i] as number, y: line.y[i] as number });
        }
      }
      this.values = values;
      this.pointCount = values.length;
      const thinned = answer.lines.some((l) => l.downsampled);
      this.message =
        answer.lines.length === 0
          ? 'None of these runs logged this metric.'
          : thinned
            ? `${values.length.toLocaleString()} of ${total.toLocaleString()} points shown; zoom in for detail.`
            : '';
    }
    if (liveBands && this.result) void this.replaceData().then(() => this.markLiveDrawn(answer.bands ?? []));
    else if (this.zoomRequest && this.result) void this.replaceData();
    else void this.redraw();
  }

  /** Read by the end-to-end tests: the last live point drawn (its step, run or group) and when. */
  private markLiveDrawn(points: readonly { x: number; run?: string; group?: string }[]): void {
    const last = points.reduce<(typeof points)[number] | undefined>((a, p) => (a && a.x >= p.x ? a : p), undefined);
    if (last) this.dataset.liveDrawn = JSON.stringify({ x: last.x, run: last.run ?? last.group, at: Date.now() });
  }

  onAppend(batch: AppendBatch): void {
    if (!this.result || this.grouped) return;
    const labels = new Map(this.runs.map((r) => [r.id, r.label]));
    const fresh: LinePoint[] = [];
    for (const line of batch.lines) {
      const run = labels.get(line.runId) ?? line.runId;
      for (let i = 0; i < line.x.length; i++) fresh.push({ run, x: line.x[i] as number, y: line.y[i] as number });
    }
    (this.values as LinePoint[]).push(...fresh);
    this.pointCount += fresh.length;
    // Appends are raw points: once the chart holds far more than it can show, start again thinned.
    if (this.pointCount > this.maxPoints() * this.runs.length * 3) {
      this.requestSeries(null);
      return;
    }
    const shown = this.settings.logScale ? fresh.filter((p) => p.y > 0) : fresh;
    const view = this.result.view;
    view.insert(LINES_DATA, shown);
    void view.runAsync().then(() => this.markLiveDrawn(fresh.slice(-1)));
  }

  private shownValues(): LinePoint[] | BandDatum[] {
    if (!this.settings.logScale) return this.values;
    return this.grouped
      ? (this.values as BandDatum[]).filter((b) => b.lower > 0)
      : (this.values as LinePoint[]).filter((p) => p.y > 0);
  }

  private async replaceData(): Promise<void> {
    const view = this.result?.view;
    if (!view) return;
    view.data(LINES_DATA, this.shownValues());
    await view.runAsync();
  }

  private async redraw(): Promise<void> {
    const element = this.plot();
    if (!element || this.values === undefined) return;
    const spec = this.grouped
      ? bandsSpec(
          this.key,
          this.settings.axis,
          this.settings.logScale,
          this.settings.groupBy ?? '',
          this.shownValues() as BandDatum[],
        )
      : overlaySpec(
          this.key,
          this.settings.axis,
          this.settings.logScale,
          this.runs.map((r) => r.label),
          this.shownValues() as LinePoint[],
        );
    try {
      this.result?.finalize();
      this.result = undefined;
      const result = await drawChart(element, leanVegaSpec(spec), 'vega');
      this.result = result;
      result.view.addSignalListener('zoom', (_name, value: unknown) => this.onZoom(value));
      this.dataset.drawn = String(Date.now());
    } catch (error) {
      this.message = `The chart could not be drawn: ${(error as Error).message}`;
    }
  }

  /** The interval selection bound to the x scale: its `x` is the visible domain, absent when reset. */
  private onZoom(value: unknown): void {
    clearTimeout(this.zoomTimer);
    const x = (value as { x?: unknown } | null)?.x;
    const domain = Array.isArray(x) && x.length === 2 ? ([Number(x[0]), Number(x[1])] as [number, number]) : null;
    this.zoomTimer = setTimeout(() => this.requestSeries(domain), ZOOM_SETTLE_MS);
  }

  private async exportImage(format: 'png' | 'svg'): Promise<void> {
    const view = this.result?.view;
    if (!view) return;
    const data = format === 'png' ? await view.toImageURL('png', 2) : await view.toSVG();
    this.send({ type: 'saveImage', format, name: `${this.key}-chart`, data });
  }
}

customElements.define('trackside-metric-chart', MetricChart);
