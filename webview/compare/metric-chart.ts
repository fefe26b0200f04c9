import { LitElement, css, html, nothing } from 'lit';
import type { Result } from 'vega-embed';
import type { XAxis } from '../../src/core/store/metric-series';
import type { CompareCommand, CompareNotification } from '../../src/protocol/compare';
import { sortedByX } from '../shared/canvas-lines';
import { LineOverlay, type OverlayLine } from '../shared/line-overlay';
import { placePointTooltip, pointTooltipStyles, renderPointTooltip, type HoveredValue } from '../shared/point-tooltip';
import { drawChart } from '../shared/vega-chart';
import {
  FRAME_DATA,
  LINES_DATA,
  bandsSpec,
  leanVegaSpec,
  lineFrameSpec,
  type BandDatum,
  type FramePoint,
} from './chart-specs';
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
 * the user zooms (wheel) or pans (drag), appends live points as they come, and exports itself. Lines
 * are stroked on a canvas over a vega frame (see LineOverlay); grouped bands are few points and
 * stay vega marks.
 */
export class MetricChart extends LitElement implements SeriesSubscriber {
  static override properties = {
    key: {},
    runs: { attribute: false },
    settings: { attribute: false },
    broker: { attribute: false },
    send: { attribute: false },
    message: { state: true },
    hovered: { state: true },
  };

  static override styles = [
    pointTooltipStyles,
    css`
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
        position: relative;
        width: 100%;
        min-height: 270px;
      }
      canvas.lines {
        position: absolute;
        left: 0;
        top: 0;
        pointer-events: none;
      }
      .note {
        color: var(--vscode-descriptionForeground);
        font-size: 0.9em;
        min-height: 1.2em;
      }
    `,
  ];

  declare key: string;
  declare runs: ChartRun[];
  declare settings: ChartSettings;
  declare broker: SeriesBroker;
  declare send: (command: CompareCommand) => void;
  declare message: string;
  declare hovered: HoveredValue | null;

  private requestId: number | undefined;
  private zoomRequest = false;
  private result: Result | undefined;
  private overlay: LineOverlay | undefined;
  private lines: OverlayLine[] = [];
  private bands: BandDatum[] = [];
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
    this.hovered = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.themeObserver.disconnect();
    this.broker?.release(this.requestId);
    this.overlay?.dispose();
    this.overlay = undefined;
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
      <div
        class="plot"
        data-key=${this.key}
        @pointermove=${(e: PointerEvent) => this.onPointer(e)}
        @pointerleave=${() => (this.hovered = null)}
      >
        <div class="frame"></div>
        <canvas class="lines"></canvas>
        ${this.hovered ? renderPointTooltip(this.hovered, this.settings.axis, this.key) : nothing}
      </div>
      <div class="note">${this.message}</div>
    `;
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has('hovered')) placePointTooltip(this.renderRoot, this.hovered);
    if (changed.size === 1 && changed.has('hovered')) return;
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
    const wasGrouped = this.grouped;
    this.answeredId = answer.requestId;
    if (answer.bands) {
      this.grouped = true;
      this.bands = answer.bands;
      this.lines = [];
      this.pointCount = answer.bands.length;
      this.message = answer.bands.length === 0 ? 'No points to draw.' : '';
    } else {
      this.grouped = false;
      this.bands = [];
      let total = 0;
      let shown = 0;
      this.lines = answer.lines.map((line) => {
        total += line.total;
        shown += line.x.length;
        return { label: labels.get(line.runId) ?? line.runId, ...sortedByX(line.x, line.y) };
      });
      this.pointCount = shown;
      const thinned = answer.lines.some((l) => l.downsampled);
      this.message =
        answer.lines.length === 0
          ? 'None of these runs logged this metric.'
          : thinned
            ? `${shown.toLocaleString()} of ${total.toLocaleString()} points shown; zoom in for detail.`
            : '';
    }
    if (liveBands && this.result) void this.replaceData().then(() => this.markLiveDrawn(answer.bands ?? []));
    else if (this.zoomRequest && this.result && wasGrouped === this.grouped) void this.replaceData();
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
    const byLabel = new Map(this.lines.map((l) => [l.label, l]));
    let last: { x: number; run: string } | undefined;
    for (const fresh of batch.lines) {
      const label = labels.get(fresh.runId) ?? fresh.runId;
      let line = byLabel.get(label);
      if (!line) {
        // The run logged its first point of this key since the chart asked.
        line = { label, x: [], y: [] };
        this.lines.push(line);
        byLabel.set(label, line);
      }
      for (let i = 0; i < fresh.x.length; i++) {
        line.x.push(fresh.x[i] as number);
        line.y.push(fresh.y[i] as number);
      }
      Object.assign(line, sortedByX(line.x, line.y));
      this.pointCount += fresh.x.length;
      const x = fresh.x.at(-1);
      if (x !== undefined) last = { x, run: label };
    }
    // Appends are raw points: once the chart holds far more than it can show, start again thinned.
    if (this.pointCount > this.maxPoints() * this.runs.length * 3) {
      this.requestSeries(null);
      return;
    }
    void this.replaceData().then(() => this.markLiveDrawn(last ? [last] : []));
  }

  /** Each line's two corners (for the frame's scales); a log scale sees only positive values. */
  private corners(): FramePoint[] {
    const corners: FramePoint[] = [];
    for (const line of this.lines) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const y of line.y) {
        if (this.settings.logScale && !(y > 0)) continue;
        if (y < lo) lo = y;
        if (y > hi) hi = y;
      }
      if (lo > hi) continue;
      corners.push(
        { run: line.label, x: line.x[0] as number, y: lo },
        { run: line.label, x: line.x.at(-1) as number, y: hi },
      );
    }
    return corners;
  }

  private shownBands(): BandDatum[] {
    return this.settings.logScale ? this.bands.filter((b) => b.lower > 0) : this.bands;
  }

  /** New data in the drawn chart, keeping its zoom: the frame's scales follow, then the lines. */
  private async replaceData(): Promise<void> {
    const view = this.result?.view;
    if (!view) return;
    if (this.grouped) {
      view.data(LINES_DATA, this.shownBands());
      await view.runAsync();
      return;
    }
    view.data(FRAME_DATA, this.corners());
    await view.runAsync();
    this.overlay?.setLines(this.lines);
    this.overlay?.draw();
  }

  private async redraw(): Promise<void> {
    const plot = this.plot();
    const element = plot?.querySelector<HTMLElement>('.frame');
    const canvas = plot?.querySelector<HTMLCanvasElement>('canvas.lines');
    if (!element || !canvas) return;
    const spec = this.grouped
      ? bandsSpec(this.key, this.settings.axis, this.settings.logScale, this.settings.groupBy ?? '', this.shownBands())
      : lineFrameSpec(
          this.key,
          this.settings.axis,
          this.settings.logScale,
          this.runs.map((r) => r.label),
          this.corners(),
        );
    try {
      this.overlay?.dispose();
      this.overlay = undefined;
      this.result?.finalize();
      this.result = undefined;
      this.hovered = null;
      canvas.hidden = this.grouped;
      const result = await drawChart(element, leanVegaSpec(spec), 'vega');
      this.result = result;
      result.view.addSignalListener('zoom', (_name, value: unknown) => this.onZoom(value));
      if (!this.grouped) {
        this.overlay = new LineOverlay(canvas, result.view, this.settings.logScale);
        this.overlay.setLines(this.lines);
        this.overlay.draw();
      }
      this.dataset.drawn = String(Date.now());
    } catch (error) {
      this.message = `The chart could not be drawn: ${(error as Error).message}`;
    }
  }

  private onPointer(event: PointerEvent): void {
    const hit = this.overlay?.hover(event.clientX, event.clientY) ?? null;
    this.hovered = hit && {
      label: hit.line.label,
      color: hit.line.color,
      x: hit.line.x[hit.index] as number,
      y: hit.line.y[hit.index] as number,
      left: hit.left,
      top: hit.top,
    };
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
    const overlay = this.overlay;
    let data: string;
    if (overlay) data = format === 'png' ? await overlay.png(2) : await overlay.svg();
    else data = format === 'png' ? await view.toImageURL('png', 2) : await view.toSVG();
    this.send({ type: 'saveImage', format, name: `${this.key}-chart`, data });
  }
}

customElements.define('trackside-metric-chart', MetricChart);
