import { LitElement, css, html, nothing } from 'lit';
import { styleProperties } from '../shared/style-properties';
import { cellAccessor, columnLabel, formatCell, type CellValue, type Column } from '../../src/core/compare/columns';
import type { MetricDirection } from '../../src/core/metrics/direction';
import type { CompareRow, CompareTable, MetricAggregate } from '../../src/protocol/compare';

export const ROW_HEIGHT = 26;
const OVERSCAN = 8;
const CONTROL_WIDTH = 60;
export const DEFAULT_WIDTH = 110;
/** Metric headers hold the key, the aggregate switch and the direction switch. */
const METRIC_WIDTH = 150;
const NAME_WIDTH = 200;
const START_WIDTH = 140;
const NEXT_AGGREGATE: Record<MetricAggregate, MetricAggregate> = { last: 'min', min: 'max', max: 'last' };

export interface TableSort {
  column: string;
  direction: 'asc' | 'desc';
}

/**
 * The runs table. Rows have a fixed height, so only the rows in view (plus a few) are in the DOM and
 * 10,000 runs scroll like 10. Sorting, filtering and best values are computed by the parent; this
 * element renders them and reports what the user does as events.
 */
export class RunsTable extends LitElement {
  static override properties = {
    table: { attribute: false },
    rows: { attribute: false },
    columns: { attribute: false },
    widths: { attribute: false },
    best: { attribute: false },
    directions: { attribute: false },
    selection: { attribute: false },
    pinned: { attribute: false },
    sort: { attribute: false },
    scrollTop: { state: true },
    viewportHeight: { state: true },
  };

  static override styles = css`
    :host {
      display: block;
      position: relative;
      min-height: 0;
    }
    .scroller {
      height: 100%;
      overflow: auto;
      outline: none;
    }
    .header,
    .row {
      display: grid;
      align-items: center;
    }
    .header {
      position: sticky;
      top: 0;
      z-index: 2;
      background: var(--vscode-editor-background);
      border-bottom: 1px solid var(--vscode-panel-border, var(--vscode-editorWidget-border));
      font-weight: 600;
      height: 30px;
    }
    .body {
      position: relative;
    }
    .row {
      position: absolute;
      left: 0;
      height: ${ROW_HEIGHT}px;
      border-bottom: 1px solid var(--vscode-editorGroup-border, transparent);
      cursor: default;
    }
    .row:hover {
      background: var(--vscode-list-hoverBackground);
    }
    .row[aria-selected='true'] {
      background: var(--vscode-list-inactiveSelectionBackground);
      color: var(--vscode-list-inactiveSelectionForeground, inherit);
    }
    .scroller:focus-within .row[aria-selected='true'] {
      background: var(--vscode-list-activeSelectionBackground);
      color: var(--vscode-list-activeSelectionForeground, inherit);
    }
    .cell,
    .th {
      padding: 0 8px;
      overflow: hidden;
      white-space: nowrap;
      text-overflow: ellipsis;
      min-width: 0;
    }
    .th {
      position: relative;
      display: flex;
      align-items: center;
      gap: 4px;
      height: 100%;
      user-select: none;
    }
    .th .label {
      overflow: hidden;
      text-overflow: ellipsis;
      cursor: pointer;
      flex: 1;
    }
    .th.drop-target {
      box-shadow: inset 2px 0 0 var(--vscode-focusBorder);
    }
    .num {
      text-align: right;
      font-variant-numeric: tabular-nums;
    }
    .best {
      color: var(--vscode-charts-green, #388a34);
      font-weight: 700;
    }
    .resizer {
      position: absolute;
      right: 0;
      top: 4px;
      bottom: 4px;
      width: 5px;
      cursor: col-resize;
      border-right: 1px solid var(--vscode-panel-border, #80808040);
    }
    .mini {
      border: none;
      background: none;
      color: var(--vscode-descriptionForeground);
      font: inherit;
      font-size: 0.85em;
      padding: 0 2px;
      cursor: pointer;
      border-radius: 3px;
    }
    .mini:hover {
      background: var(--vscode-toolbar-hoverBackground);
      color: var(--vscode-foreground);
    }
    .mini[aria-pressed='true'] {
      color: var(--vscode-foreground);
    }
    .controls {
      display: flex;
      gap: 2px;
      padding-left: 4px;
    }
    .status-running {
      color: var(--vscode-charts-blue, #3794ff);
    }
    .status-failed,
    .status-killed {
      color: var(--vscode-errorForeground);
    }
    .empty {
      padding: 16px;
      color: var(--vscode-descriptionForeground);
    }
  `;

  declare table: CompareTable;
  declare rows: CompareRow[];
  declare columns: Column[];
  declare widths: Record<string, number>;
  declare best: Map<string, number>;
  declare directions: Record<string, MetricDirection>;
  declare selection: ReadonlySet<string>;
  declare pinned: ReadonlySet<string>;
  declare sort: TableSort | null;
  declare scrollTop: number;
  declare viewportHeight: number;

  private anchor: string | undefined;
  private dragColumn: string | undefined;
  private resizeObserver: ResizeObserver | undefined;
  private resizing = false;

  constructor() {
    super();
    this.rows = [];
    this.columns = [];
    this.widths = {};
    this.best = new Map();
    this.directions = {};
    this.selection = new Set();
    this.pinned = new Set();
    this.sort = null;
    this.scrollTop = 0;
    this.viewportHeight = 600;
  }

  override firstUpdated(): void {
    const scroller = this.scroller();
    if (!scroller) return;
    this.resizeObserver = new ResizeObserver(() => {
      this.viewportHeight = scroller.clientHeight;
    });
    this.resizeObserver.observe(scroller);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
  }

  private scroller(): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>('.scroller');
  }

  /** Scrolls so the row is in view (a selection made elsewhere). */
  revealRow(runId: string): void {
    const index = this.rows.findIndex((r) => r.id === runId);
    const scroller = this.scroller();
    if (index < 0 || !scroller) return;
    const top = index * ROW_HEIGHT;
    if (top < scroller.scrollTop || top + ROW_HEIGHT > scroller.scrollTop + scroller.clientHeight - 30) {
      scroller.scrollTop = Math.max(0, top - scroller.clientHeight / 3);
    }
  }

  private width(column: Column): number {
    const saved = this.widths[column.id];
    if (saved !== undefined) return saved;
    if (column.kind === 'metric') return METRIC_WIDTH;
    if (column.kind === 'field' && column.field === 'name') return NAME_WIDTH;
    if (column.kind === 'field' && column.field === 'start') return START_WIDTH;
    return DEFAULT_WIDTH;
  }

  private template(): string {
    return [`${CONTROL_WIDTH}px`, ...this.columns.map((c) => `${this.width(c)}px`)].join(' ');
  }

  override render() {
    if (!this.table) return nothing;
    const template = this.template();
    const totalWidth = CONTROL_WIDTH + this.columns.reduce((sum, c) => sum + this.width(c), 0);
    const readers = this.columns.map((c) => cellAccessor(this.table, c));
    const first = Math.max(0, Math.floor(this.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const count = Math.ceil(this.viewportHeight / ROW_HEIGHT) + OVERSCAN * 2;
    const visible = this.rows.slice(first, first + count);
    return html`
      <div
        class="scroller"
        role="grid"
        aria-label="Runs"
        aria-rowcount=${this.rows.length + 1}
        aria-multiselectable="true"
        @scroll=${(e: Event) => (this.scrollTop = (e.target as HTMLElement).scrollTop)}
      >
        <div
          class="header"
          role="row"
          style=${styleProperties({ 'grid-template-columns': template, width: `${totalWidth}px` })}
        >
          <div class="th" role="columnheader" aria-label="Pin and hide"></div>
          ${this.columns.map((column) => this.renderHeader(column))}
        </div>
        <div
          class="body"
          style=${styleProperties({ height: `${this.rows.length * ROW_HEIGHT}px`, width: `${totalWidth}px` })}
        >
          ${visible.map((row, i) => this.renderRow(row, first + i, template, totalWidth, readers))}
        </div>
        ${this.rows.length === 0 ? html`<div class="empty">No runs match.</div>` : nothing}
      </div>
    `;
  }

  private renderHeader(column: Column) {
    const sorted = this.sort?.column === column.id ? this.sort.direction : undefined;
    const ariaSort = sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none';
    const direction = column.kind === 'metric' ? (this.directions[column.key] ?? 'min') : undefined;
    return html`
      <div
        class="th"
        role="columnheader"
        aria-sort=${ariaSort}
        data-column=${column.id}
        title=${columnLabel(column)}
        draggable="true"
        @dragstart=${(e: DragEvent) => this.onDragStart(e, column.id)}
        @dragover=${(e: DragEvent) => this.onDragOver(e)}
        @dragleave=${(e: DragEvent) => (e.currentTarget as HTMLElement).classList.remove('drop-target')}
        @drop=${(e: DragEvent) => this.onDrop(e, column.id)}
      >
        <span class="label" @click=${() => this.emit('sort-column', { column: column.id })}
          >${column.kind === 'metric' ? column.key : columnLabel(column)}${sorted === 'asc' ? ' ▲' : sorted === 'desc' ? ' ▼' : ''}</span
        >
        ${
          column.kind === 'metric'
            ? html`<button
                  class="mini"
                  title="Show ${NEXT_AGGREGATE[column.aggregate]} instead of ${column.aggregate}"
                  @click=${() => this.emit('aggregate', { column: column.id, aggregate: NEXT_AGGREGATE[column.aggregate] })}
                >
                  ${column.aggregate}</button
                ><button
                  class="mini"
                  title=${direction === 'min' ? 'Lower is better (click to flip)' : 'Higher is better (click to flip)'}
                  aria-label="Better direction of ${column.key}"
                  @click=${() => this.emit('direction', { key: column.key, direction: direction === 'min' ? 'max' : 'min' })}
                >
                  ${direction === 'min' ? '↓' : '↑'}
                </button>`
            : nothing
        }
        <div class="resizer" @pointerdown=${(e: PointerEvent) => this.onResizeStart(e, column)}></div>
      </div>
    `;
  }

  private renderRow(
    row: CompareRow,
    index: number,
    template: string,
    totalWidth: number,
    readers: ((row: CompareRow) => CellValue)[],
  ) {
    const selected = this.selection.has(row.id);
    const pinned = this.pinned.has(row.id);
    return html`
      <div
        class="row"
        role="row"
        aria-rowindex=${index + 2}
        aria-selected=${selected ? 'true' : 'false'}
        data-run-id=${row.id}
        style=${styleProperties({
          transform: `translateY(${index * ROW_HEIGHT}px)`,
          'grid-template-columns': template,
          width: `${totalWidth}px`,
        })}
        @click=${(e: MouseEvent) => this.onRowClick(e, row.id)}
        @dblclick=${() => this.emit('open-run', { runId: row.id })}
      >
        <div class="controls">
          <button
            class="mini"
            aria-pressed=${pinned ? 'true' : 'false'}
            title=${pinned ? 'Unpin' : 'Pin to the top'}
            @click=${(e: Event) => this.onControl(e, 'pin-row', row.id)}
          >
            ${pinned ? '★' : '☆'}
          </button>
          <button class="mini" title="Hide this run" @click=${(e: Event) => this.onControl(e, 'hide-row', row.id)}>
            ✕
          </button>
        </div>
        ${this.columns.map((column, i) => {
          const value = (readers[i] as (r: CompareRow) => CellValue)(row);
          const numeric = typeof value === 'number' && !(column.kind === 'field' && column.field === 'start');
          const best = column.kind === 'metric' && value !== null && this.best.get(column.id) === value;
          const statusClass = column.kind === 'field' && column.field === 'status' ? ` status-${String(value)}` : '';
          return html`<div
            class="cell${numeric ? ' num' : ''}${best ? ' best' : ''}${statusClass}"
            role="gridcell"
            data-column=${column.id}
            title=${best ? 'Best value' : ''}
          >
            ${formatCell(column, value)}
          </div>`;
        })}
      </div>
    `;
  }

  private emit(name: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }

  private onControl(event: Event, name: 'pin-row' | 'hide-row', runId: string): void {
    event.stopPropagation();
    this.emit(name, { runId });
  }

  private onRowClick(event: MouseEvent, runId: string): void {
    let next: Set<string>;
    if (event.shiftKey && this.anchor) {
      const from = this.rows.findIndex((r) => r.id === this.anchor);
      const to = this.rows.findIndex((r) => r.id === runId);
      const [lo, hi] = from < to ? [from, to] : [to, from];
      next = new Set(this.rows.slice(lo, hi + 1).map((r) => r.id));
    } else if (event.ctrlKey || event.metaKey) {
      next = new Set(this.selection);
      if (next.has(runId)) next.delete(runId);
      else next.add(runId);
      this.anchor = runId;
    } else {
      next = new Set([runId]);
      this.anchor = runId;
    }
    this.emit('select-rows', { runIds: [...next] });
  }

  private onDragStart(event: DragEvent, columnId: string): void {
    if ((event.target as HTMLElement | null)?.classList?.contains('resizer') || this.resizing) {
      event.preventDefault();
      return;
    }
    this.dragColumn = columnId;
    event.dataTransfer?.setData('text/plain', columnId);
    if (event.dataTransfer) event.dataTransfer.effectAllowed = 'move';
  }

  private onDragOver(event: DragEvent): void {
    if (!this.dragColumn) return;
    event.preventDefault();
    (event.currentTarget as HTMLElement).classList.add('drop-target');
  }

  private onDrop(event: DragEvent, target: string): void {
    event.preventDefault();
    (event.currentTarget as HTMLElement).classList.remove('drop-target');
    const source = this.dragColumn;
    this.dragColumn = undefined;
    if (source && source !== target) this.emit('move-column', { column: source, before: target });
  }

  private onResizeStart(event: PointerEvent, column: Column): void {
    event.preventDefault();
    event.stopPropagation();
    const handle = event.currentTarget as HTMLElement;
    handle.setPointerCapture(event.pointerId);
    this.resizing = true;
    const startX = event.clientX;
    const startWidth = this.width(column);
    const move = (e: PointerEvent) => {
      this.widths = { ...this.widths, [column.id]: Math.max(40, Math.min(2000, startWidth + e.clientX - startX)) };
    };
    const up = () => {
      this.resizing = false;
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', up);
      this.emit('resize-column', { column: column.id, width: this.width(column) });
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up);
  }
}

customElements.define('trackside-runs-table', RunsTable);
