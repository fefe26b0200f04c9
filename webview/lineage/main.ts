import { LitElement, html, nothing, svg } from 'lit';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import {
  LineageNotificationSchema,
  type LineageCommand,
  type LineageNodeView,
  type LineageNotification,
} from '../../src/protocol/lineage';
import { WebviewMessenger } from '../shared/webview-messenger';
import { exportSvg } from './export-svg';
import { NODE_HEIGHT, NODE_WIDTH, edgePath, layoutLineage, type GraphLayout, type PlacedNode } from './layout';
import { lineageStyles } from './styles';
import { fit, nodeText } from './node-text';

type Snapshot = Extract<LineageNotification, { type: 'snapshot' }>;
interface Transform {
  x: number;
  y: number;
  k: number;
}
interface Hover {
  node: LineageNodeView;
  left: number;
  top: number;
}

const MIN_SCALE = 0.05;
const MAX_SCALE = 3;

/**
 * The lineage graph: laid out once per snapshot with dagre, drawn as SVG, panned by dragging and
 * zoomed with the wheel. Clicks ask the host to act (open the run, reveal the file, select the
 * version); a double-click re-centres the view on that node.
 */
class LineageView extends LitElement {
  static override properties = {
    snapshot: { state: true },
    error: { state: true },
    transform: { state: true },
    hover: { state: true },
  };

  static override styles = lineageStyles;

  declare snapshot: Snapshot | undefined;
  declare error: string | undefined;
  declare transform: Transform;
  declare hover: Hover | undefined;
  private layout: GraphLayout | undefined;
  /** A press on the canvas: a drag pans; a press without movement on a node is a click on it. */
  private drag:
    { startX: number; startY: number; from: Transform; moved: boolean; nodeId: string | undefined } | undefined;
  private fitPending = false;
  private paintPending = false;

  private readonly messenger = new WebviewMessenger<LineageCommand, LineageNotification>(
    LineageNotificationSchema,
    (n) => this.onNotification(n),
  );

  constructor() {
    super();
    this.snapshot = undefined;
    this.error = undefined;
    this.transform = { x: 0, y: 0, k: 1 };
    this.hover = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.messenger.send({ type: 'ready' });
  }

  private onNotification(notification: LineageNotification): void {
    if (notification.type === 'error') {
      this.error = notification.message;
      return;
    }
    performance.mark('lineage:snapshot');
    this.error = undefined;
    const sameGraph =
      this.snapshot?.focus.join() === notification.focus.join() &&
      this.snapshot.nodes.length === notification.nodes.length;
    this.snapshot = notification;
    this.layout = layoutLineage(notification.nodes, notification.edges);
    // A refresh of the same view keeps the user's pan and zoom; a new view is fitted.
    this.fitPending = !sameGraph;
    this.paintPending = true;
  }

  override updated(): void {
    // Positioned through the CSSOM, which the CSP allows; a style attribute would be blocked.
    const card = this.renderRoot.querySelector<HTMLElement>('.hover');
    if (card && this.hover) {
      card.style.left = `${this.hover.left}px`;
      card.style.top = `${this.hover.top}px`;
    }
    if (this.fitPending) {
      this.fitPending = false;
      this.fit();
    }
    if (this.paintPending) {
      this.paintPending = false;
      requestAnimationFrame(() => {
        performance.mark('lineage:painted');
        performance.measure('lineage:first-paint', 'lineage:snapshot', 'lineage:painted');
        document.body.dataset.paintedNodes = String(this.layout?.nodes.length ?? 0);
      });
    }
  }

  private canvas(): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>('.canvas');
  }

  private fit(): void {
    const canvas = this.canvas();
    if (!canvas || !this.layout) return;
    const { width, height } = this.layout;
    const k = clamp(Math.min(canvas.clientWidth / width, canvas.clientHeight / height, 1.2), MIN_SCALE, MAX_SCALE);
    this.transform = { k, x: (canvas.clientWidth - width * k) / 2, y: (canvas.clientHeight - height * k) / 2 };
  }

  private zoomBy(factor: number, centerX?: number, centerY?: number): void {
    const canvas = this.canvas();
    if (!canvas) return;
    const cx = centerX ?? canvas.clientWidth / 2;
    const cy = centerY ?? canvas.clientHeight / 2;
    const { x, y, k } = this.transform;
    const next = clamp(k * factor, MIN_SCALE, MAX_SCALE);
    this.transform = { k: next, x: cx - ((cx - x) * next) / k, y: cy - ((cy - y) * next) / k };
  }

  private onWheel(event: WheelEvent): void {
    event.preventDefault();
    const rect = this.canvas()!.getBoundingClientRect();
    this.zoomBy(Math.exp(-event.deltaY * 0.0015), event.clientX - rect.left, event.clientY - rect.top);
  }

  private onPointerDown(event: PointerEvent): void {
    if (event.button !== 0) return;
    // Read before capturing the pointer: once captured, later events target the svg itself.
    const nodeId = (event.target as Element).closest<SVGGElement>('g.node')?.dataset.nodeId;
    this.drag = { startX: event.clientX, startY: event.clientY, from: this.transform, moved: false, nodeId };
    (event.currentTarget as Element).setPointerCapture(event.pointerId);
  }

  private onPointerMove(event: PointerEvent): void {
    if (!this.drag) return;
    const dx = event.clientX - this.drag.startX;
    const dy = event.clientY - this.drag.startY;
    if (!this.drag.moved && Math.hypot(dx, dy) < 4) return;
    this.drag.moved = true;
    this.hover = undefined;
    this.transform = { ...this.drag.from, x: this.drag.from.x + dx, y: this.drag.from.y + dy };
  }

  private onPointerUp(): void {
    const drag = this.drag;
    this.drag = undefined;
    if (!drag || drag.moved) return;
    const node = this.nodeById(drag.nodeId);
    if (node) this.activate(node);
  }

  private nodeById(id: string | undefined): LineageNodeView | undefined {
    return this.snapshot?.nodes.find((n) => n.id === id);
  }

  private activate(node: LineageNodeView): void {
    switch (node.kind) {
      case 'run':
        this.messenger.send({ type: 'openRun', runId: node.runId });
        break;
      case 'data':
        if (node.paths.length > 0) this.messenger.send({ type: 'revealFile', path: node.paths.at(-1)! });
        break;
      case 'drift-report':
        this.messenger.send({ type: 'revealFile', path: node.path });
        break;
      case 'model-version':
        this.messenger.send({ type: 'selectModelVersion', name: node.name, version: node.version });
        break;
      default:
        break;
    }
  }

  private onDoubleClick(event: MouseEvent): void {
    const target = (event.target as Element).closest<SVGGElement>('g.node');
    if (target?.dataset.nodeId) this.messenger.send({ type: 'focus', nodeId: target.dataset.nodeId });
  }

  private onKeyDown(event: KeyboardEvent, node: LineageNodeView): void {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.activate(node);
    }
  }

  private onHover(event: MouseEvent, node: LineageNodeView | undefined): void {
    if (!node || this.drag?.moved) {
      this.hover = undefined;
      return;
    }
    const rect = this.canvas()!.getBoundingClientRect();
    this.hover = { node, left: event.clientX - rect.left + 14, top: event.clientY - rect.top + 14 };
  }

  private export(): void {
    const svgElement = this.renderRoot.querySelector<SVGSVGElement>('svg.graph');
    const content = this.renderRoot.querySelector<SVGGElement>('g[data-role="content"]');
    if (!svgElement || !content || !this.layout) return;
    const background = getComputedStyle(document.body).backgroundColor || '#ffffff';
    this.messenger.send({
      type: 'exportSvg',
      svg: exportSvg(svgElement, content, this.layout.width, this.layout.height, background),
    });
  }

  override render() {
    if (this.error) return html`<p class="error" role="alert">${this.error}</p>`;
    if (!this.snapshot || !this.layout) return html`<p class="muted">Loading the lineage…</p>`;
    const { nodes, edges } = this.snapshot;
    const stale = nodes.filter((n) => n.kind === 'data' && n.freshness === 'stale').length;
    return html`
      <header>
        <h1>${this.snapshot.title}</h1>
        <span class="muted"
          >${nodes.length} nodes · ${edges.length}
          links${stale ? html` · <span class="stale-text">${stale} stale</span>` : nothing}</span
        >
        <span class="spacer"></span>
        <vscode-button secondary @click=${() => this.zoomBy(1 / 1.25)} title="Zoom out" aria-label="Zoom out"
          >−</vscode-button
        >
        <vscode-button secondary @click=${() => this.zoomBy(1.25)} title="Zoom in" aria-label="Zoom in"
          >+</vscode-button
        >
        <vscode-button secondary @click=${() => this.fit()}>Fit</vscode-button>
        <vscode-button secondary @click=${() => this.messenger.send({ type: 'refresh' })}>Refresh</vscode-button>
        <vscode-button @click=${() => this.export()}>Export SVG</vscode-button>
      </header>
      ${
        nodes.length === 0
          ? html`<p class="muted">
              Nothing is recorded for this yet: log inputs with ts.log_input and models with ts.log_model.
            </p>`
          : this.renderCanvas()
      }
    `;
  }

  private renderCanvas() {
    const layout = this.layout!;
    const focus = new Set(this.snapshot!.focus);
    const { x, y, k } = this.transform;
    return html`
      <div class="canvas" @wheel=${this.onWheel} @mouseleave=${() => (this.hover = undefined)}>
        <svg
          class="graph"
          role="img"
          aria-label="Lineage graph"
          @pointerdown=${this.onPointerDown}
          @pointermove=${this.onPointerMove}
          @pointerup=${this.onPointerUp}
          @dblclick=${this.onDoubleClick}
        >
          <defs>
            <marker
              id="arrow"
              viewBox="0 0 10 10"
              refX="9"
              refY="5"
              markerWidth="7"
              markerHeight="7"
              orient="auto-start-reverse"
            >
              <path class="arrow" d="M 0 0 L 10 5 L 0 10 z"></path>
            </marker>
          </defs>
          <g data-role="content" transform=${`translate(${x.toFixed(1)},${y.toFixed(1)}) scale(${k.toFixed(4)})`}>
            ${layout.edges.map(
              (e) => svg`<g class=${`edge edge-${e.edge.kind}`} data-from=${e.edge.from} data-to=${e.edge.to}>
                <path d=${edgePath(e.points)} marker-end="url(#arrow)"></path>
                ${edgeLabel(e.points, e.edge.kind)}
              </g>`,
            )}
            ${layout.nodes.map((p) => this.renderNode(p, focus.has(p.node.id)))}
          </g>
        </svg>
        ${this.hover ? this.renderHover(this.hover) : nothing}
      </div>
      <footer class="muted">Drag to pan · wheel to zoom · click a node to open it · double-click to trace it</footer>
    `;
  }

  private renderNode(placed: PlacedNode, focused: boolean) {
    const { node } = placed;
    const text = nodeText(node);
    const badge = nodeBadge(node);
    return svg`<g
      class=${`node kind-${node.kind}${focused ? ' focus' : ''}`}
      data-node-id=${node.id}
      transform=${`translate(${placed.x.toFixed(1)},${placed.y.toFixed(1)})`}
      role="button"
      tabindex="0"
      aria-label=${`${text.tag} ${text.title}, ${text.subtitle}${badge ? `, ${badge.text}` : ''}`}
      @keydown=${(e: KeyboardEvent) => this.onKeyDown(e, node)}
      @mousemove=${(e: MouseEvent) => this.onHover(e, node)}
      @mouseleave=${(e: MouseEvent) => this.onHover(e, undefined)}
    >
      <rect class="body" width=${NODE_WIDTH} height=${NODE_HEIGHT} rx="6"></rect>
      <rect class="stripe" width="5" height=${NODE_HEIGHT} rx="2"></rect>
      <text class="tag" x="14" y="16">${text.tag}</text>
      <text class="title" x="14" y="34">${fit(text.title, 27)}</text>
      <text class="subtitle" x="14" y="50">${fit(text.subtitle, 34)}</text>
      ${
        badge
          ? svg`<g class=${`badge badge-${badge.kind}`} transform=${`translate(${NODE_WIDTH - badge.width - 6},5)`}>
            <rect width=${badge.width} height="15" rx="7"></rect>
            <text x=${badge.width / 2} y="11" text-anchor="middle">${badge.text}</text>
          </g>`
          : nothing
      }
    </g>`;
  }

  private renderHover(hover: Hover) {
    const text = nodeText(hover.node);
    return html`<div class="hover" role="tooltip">
      <div class="hover-tag">${text.tag}</div>
      <div class="hover-title">${text.title}</div>
      <table>
        ${text.details.map(
          ([key, value]) =>
            html`<tr>
              <th>${key}</th>
              <td>${value}</td>
            </tr>`,
        )}
      </table>
      ${text.action ? html`<div class="muted">${text.action}</div>` : nothing}
    </div>`;
  }
}

function nodeBadge(node: LineageNodeView): { kind: string; text: string; width: number } | null {
  if (node.kind === 'data' && (node.freshness === 'stale' || node.freshness === 'missing')) {
    const text = node.freshness === 'stale' ? 'STALE' : 'MISSING';
    return { kind: node.freshness, text, width: text.length * 7 + 14 };
  }
  if (node.kind === 'model-version' && node.aliases.length > 0) {
    const text = fit(node.aliases.join(' · '), 18);
    return { kind: 'alias', text, width: text.length * 6 + 14 };
  }
  return null;
}

function edgeLabel(points: readonly { x: number; y: number }[], kind: string) {
  const middle = points[Math.floor(points.length / 2)];
  if (!middle) return nothing;
  return svg`<text class="edge-label" x=${middle.x} y=${middle.y - 4} text-anchor="middle">${kind}</text>`;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

customElements.define('trackside-lineage', LineageView);
document.body.append(document.createElement('trackside-lineage'));
